package sim

import (
	"bytes"
	"context"
	"log/slog"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	pbxconfig "pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/report"
	"pbxlab/sim/scenario"
)

// tcpScenario: 6 phones registered over TCP, answering after 100 ms; the
// impairment is IMPAIRMENT.
const tcpScenario = `name: tcp-impairment
population: {count: 6, first: "1000", password: "demo{n}", register_expires: 60s, transport: tcp, impairment: IMPAIRMENT}
behaviours: {answer: 100}
answer_delay: 100ms
calls: {rate: 2, hold: 1s, duration: 2s, max_concurrent: 10, ring_timeout: 5s}
audio: {verify: false}
seed: 5
`

// runTCP runs tcpScenario with impairment against pbxlab over TCP and
// returns the report and the run's log.
func runTCP(t *testing.T, impairment string, edit func(string) string) (*report.Report, string) {
	t.Helper()
	in, err := pbxtest.Start(pbxconfig.Demo(), pbxtest.Options{})
	if err != nil {
		t.Fatalf("start pbx: %v", err)
	}
	t.Cleanup(func() { _ = in.Close() })
	y := strings.Replace(tcpScenario, "IMPAIRMENT", impairment, 1)
	if edit != nil {
		y = edit(y)
	}
	sc, err := scenario.Parse("tcp.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var logs bytes.Buffer
	rep, err := Run(ctx, sc, Target{Addr: in.TCP.String()}, WithLocalIP(netip.MustParseAddr("127.0.0.1")),
		WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if rep.Calls.Answered == 0 || rep.Calls.Unexpected != 0 || rep.Registrations.Failed != 0 {
		t.Fatalf("calls %+v registrations %+v: want answered calls, no failure\n%s", rep.Calls, rep.Registrations, logs.String())
	}
	return rep, logs.String()
}

// logInt reads key=N from the log line whose msg is msg.
func logInt(t *testing.T, logs, msg, key string) int {
	t.Helper()
	m := regexp.MustCompile(`msg="?` + regexp.QuoteMeta(msg) + `"? .*\b` + key + `=(\d+)`).FindStringSubmatch(logs)
	if m == nil {
		t.Fatalf("no %s in the %q log line:\n%s", key, msg, logs)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestTCPImpairmentDelay: 100 ms each way on the phones' TCP connection
// (one per Agent) with loss that TCP turns into retransmission delay.
// Setting a call up crosses a phone's connection four times (INVITE out
// at the caller and in at the callee, 200 back the same way), so no call
// is set up in less than answer_delay + 4 × 100 ms (a floor: a loaded
// machine only adds to it); every call still succeeds, every REGISTER
// too, and the connections counted retransmissions.
func TestTCPImpairmentDelay(t *testing.T) {
	checkLeaks(t)
	rep, logs := runTCP(t, `{delay: 100ms, jitter: 20ms, loss: 10%}`, nil)
	t.Logf("setup %+v", rep.SetupTime)
	if floor := 100*time.Millisecond + 4*(100-20)*time.Millisecond; rep.SetupTime.P50 < floor {
		t.Errorf("median setup %v, below the %v the impairment imposes", rep.SetupTime.P50, floor)
	}
	if n := logInt(t, logs, "tcp impairment", "connections"); n < 1 {
		t.Errorf("%d impaired connections", n)
	}
	if r := logInt(t, logs, "tcp impairment", "sent_retransmitted") + logInt(t, logs, "tcp impairment", "received_retransmitted"); r == 0 {
		t.Errorf("10 %% loss and no retransmission:\n%s", logs)
	}
	// the delay the connections added, from their draws (not a clock):
	// 100 ms ± 20 ms per segment, plus 200 ms for each retransmission
	// (about 10 % of segments), so some 120 ms on average
	for _, dir := range []string{"sent", "received"} {
		d := logInt(t, logs, "tcp impairment", dir+"_delay_mean_ms")
		t.Logf("%s: %d ms mean added delay", dir, d)
		if d < 80 || d > 200 {
			t.Errorf("%s segments delayed %d ms on average, want about 120", dir, d)
		}
	}
}

// TestTCPImpairmentIdleDrop: a NAT that drops a connection idle for
// 500 ms. During each 2 s call, 2 s apart, the phones' connections go
// quiet and are reset; the phones notice, dial a new one and re-register
// at once (not at half their 60 s expiry), and every call, its BYE
// included, succeeds.
func TestTCPImpairmentIdleDrop(t *testing.T) {
	checkLeaks(t)
	rep, logs := runTCP(t, `{nat: {binding_timeout: 500ms}}`, func(y string) string {
		return strings.Replace(y, "calls: {rate: 2, hold: 1s, duration: 2s,", "calls: {rate: 0.5, hold: 2s, duration: 6s,", 1)
	})
	if d := logInt(t, logs, "tcp impairment", "dropped"); d == 0 {
		t.Fatalf("no connection dropped:\n%s", logs)
	}
	if !strings.Contains(logs, "tcp connection lost: phones re-register") {
		t.Fatalf("the phones did not notice the drop:\n%s", logs)
	}
	t.Logf("registrations %+v calls %+v, %d connections dropped", rep.Registrations, rep.Calls, logInt(t, logs, "tcp impairment", "dropped"))
	if rep.Registrations.OK <= 6 {
		t.Errorf("registrations %+v: want re-registrations after the drops", rep.Registrations)
	}
}
