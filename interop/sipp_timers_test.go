package interop

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// timersConfig is the interop PBX with session timers (RFC 4028): the
// global Min-SE 90 and no timer of its own asked for, subscriber 2000 (a
// SIPp UAS that takes a re-INVITE) and 2002 (a plain one) without
// session-timer settings of their own, subscriber 2001 (the glare UAS) with a 90 s session the
// PBX refreshes itself.
func timersConfig(uas, glare, plain int) string {
	return fmt.Sprintf(`# written by the interop test
sip:
  listen: ["udp:127.0.0.1:0"]
  user_agent: "pbxlab-interop"
  session_timers: {min_se: 90}
call:
  no_answer_timeout: 30s
  shutdown_grace: 2s
log:
  level: info
subscribers:
  - number: "2000"
    contacts: ["sip:2000@127.0.0.1:%d"]
  - number: "2001"
    contacts: ["sip:2001@127.0.0.1:%d"]
    session_timers: {expires: 90, refresher: pbx}
  - number: "2002"
    contacts: ["sip:2002@127.0.0.1:%d"]
trusted_peers:
  - name: sipp
    address: 127.0.0.2
`, uas, glare, plain)
}

// TestSIPpSessionTimers drives the pbxlab binary with SIPp: a caller asking
// for a 60 s session gets 422 with Min-SE: 90 and its retry a 90 s session
// (st422.xml); a caller refreshes its session by UPDATE (answered by the
// PBX) and by re-INVITE (relayed to the callee) (strefresh.xml); and the
// PBX's own refresh re-INVITE, 45 s into a call to 2001, crosses the
// callee's re-INVITE: both get 491 and the PBX sends its refresh again
// after RFC 3261 §14.1's 2.1-4 s (glare_uas.xml).
func TestSIPpSessionTimers(t *testing.T) {
	sipp := requireSIPp(t)
	dir := t.TempDir()
	uasPort := freePort(t, "udp", "127.0.0.1")
	glarePort := freePort(t, "udp", "127.0.0.1")
	plainPort := freePort(t, "udp", "127.0.0.1")
	pbxPort := freePort(t, "udp", "127.0.0.1")
	cfgPath := filepath.Join(dir, "pbx.yaml")
	if err := os.WriteFile(cfgPath, []byte(timersConfig(uasPort, glarePort, plainPort)), 0o644); err != nil {
		t.Fatal(err)
	}
	uas := startSIPp(t, sipp, dir, "uas", "-sf", scenario(t, "uas_reinvite.xml"), "-i", "127.0.0.1", "-p", strconv.Itoa(uasPort))
	plain := startSIPp(t, sipp, dir, "plain", "-sf", scenario(t, "uas.xml"), "-i", "127.0.0.1", "-p", strconv.Itoa(plainPort))
	glare := startSIPp(t, sipp, dir, "glare", "-sf", scenario(t, "glare_uas.xml"), "-i", "127.0.0.1", "-p", strconv.Itoa(glarePort))
	proc := startPBX(t, cfgPath, filepath.Join(dir, "pbx.db"), pbxPort, "pbx.log")
	uac := func(name, xml, service string, pauseMS int, budget time.Duration) sippResult {
		ctx, cancel := context.WithTimeout(context.Background(), budget)
		defer cancel()
		return runSIPp(ctx, t, sipp, dir, name, "-sf", scenario(t, xml), "-s", service,
			"-i", "127.0.0.2", "-p", strconv.Itoa(freePort(t, "udp", "127.0.0.2")),
			"-m", "1", "-d", strconv.Itoa(pauseMS), "-recv_timeout", "70000", proc.addr)
	}

	t.Run("422 with Min-SE, then the retry", func(t *testing.T) {
		res := uac("st422", "st422.xml", "2002", 0, time.Minute)
		if res.ExitCode != 0 || res.Successful != 1 {
			t.Fatalf("want the call through after the 422, got %s\n%s\n%s", res, res.diagnostics(), tail(filepath.Join(dir, "pbx.log"), 20))
		}
		if got := logged(res.Logs, "MINSE"); len(got) != 1 || strings.TrimSpace(got[0]) != "90" {
			t.Errorf("logged %q, want one 422 with Min-SE 90", res.Logs)
		}
		if st, err := plain.waitCalls(1, 15*time.Second); err != nil || st.Successful != 1 {
			t.Errorf("callee UAS: want the retried call, got %+v (%v)\n%s", st, err, plain.res.diagnostics())
		}
	})

	t.Run("refresh by UPDATE and re-INVITE", func(t *testing.T) {
		res := uac("strefresh", "strefresh.xml", "2000", 0, time.Minute)
		if res.ExitCode != 0 || res.Successful != 1 {
			t.Fatalf("want the refreshed call through, got %s\n%s\n%s", res, res.diagnostics(), tail(filepath.Join(dir, "pbx.log"), 20))
		}
		if n := len(logged(res.Logs, "UPDATED")) + len(logged(res.Logs, "REINVITED")); n != 2 {
			t.Errorf("logged %q, want both refreshes", res.Logs)
		}
		st, err := uas.waitCalls(1, 15*time.Second)
		if err != nil || st.Successful != 1 || st.Failed != 0 {
			t.Errorf("callee UAS: want its call with the relayed re-INVITE, got %+v (%v)\n%s", st, err, uas.res.diagnostics())
		}
	})

	t.Run("491 glare on the PBX's refresh", func(t *testing.T) {
		res := uac("glare-uac", "uac.xml", "2001", 52000, 2*time.Minute)
		if res.ExitCode != 0 || res.Successful != 1 {
			t.Fatalf("want the caller's call through, got %s\n%s", res, res.diagnostics())
		}
		st, err := glare.waitCalls(1, 20*time.Second)
		if err != nil || st.Successful != 1 || st.Failed != 0 {
			t.Fatalf("glare UAS: want its call through the glare, got %+v (%v)\n%s\n%s", st, err, glare.res.diagnostics(), tail(filepath.Join(dir, "pbx.log"), 20))
		}
		logs := readLines(filepath.Join(dir, "glare.log"))
		tick := func(tag string) int {
			for _, l := range logged(logs, tag) {
				if n, err := strconv.Atoi(l); err == nil {
					return n
				}
			}
			t.Fatalf("no %q in the glare UAS's log %q", tag, logs)
			return 0
		}
		d := time.Duration(tick("RETRY")-tick("ACK491")) * time.Millisecond
		t.Logf("the PBX sent its refresh again %s after the 491", d)
		if d < 2050*time.Millisecond || d > 4100*time.Millisecond {
			t.Errorf("the PBX sent its refresh again %s after the 491, want 2.1-4 s (RFC 3261 §14.1, the PBX chose the Call-ID)", d)
		}
		if len(logged(logs, "GOT491")) != 1 {
			t.Errorf("the UAS's crossing re-INVITE did not get 491: %q", logs)
		}
	})
}
