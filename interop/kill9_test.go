package interop

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"pbxlab/pbx"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestKill9UnderLoad checks pbxlab's durability promise (pbx/internal/store:
// an acknowledged REGISTER or CDR survives a crash of the process):
//
//  1. 100 subscribers (1000-1099) register with digest authentication;
//     all must succeed.
//  2. Under load, 100 more (1100-1199) register at 25/s while SIPp places
//     calls at 30/s (held 200 ms) from the trusted UAC to the UAS; 2.5 s
//     in, the PBX gets SIGKILL. SIPp's in-flight transactions then time
//     out and both SIPp runs end.
//  3. The PBX restarts on the same SQLite store and port.
//
// Rules, checked after the restart:
//
//   - bindings: every subscriber whose REGISTER SIPp saw answered 200 (the
//     "REG <user>" log lines of register.xml) is still bound to the contact
//     it registered, as a fetching REGISTER without Contact shows
//     (fetch.xml, RFC 3261 §10.2.3);
//   - CDRs: every call SIPp counted successful (its BYE got 200 before the
//     kill: the "OK <Call-ID>" log lines of uac.xml) has a CDR with that
//     Call-ID that records the answer (answer time set) with disposition
//     ANSWERED, or INTERRUPTED when the PBX died between acknowledging the
//     BYE and writing the end of the call; so the ANSWERED+INTERRUPTED
//     records with an answer time are at least SIPp's successful count.
//
// The restarted PBX must then stop gracefully (SIGTERM, exit 0).
func TestKill9UnderLoad(t *testing.T) {
	sipp := requireSIPp(t)
	dir := t.TempDir()
	uasPort := freePort(t, "udp", "127.0.0.1")
	pbxPort := freePort(t, "udp", "127.0.0.1")
	cfgPath := filepath.Join(dir, "pbx.yaml")
	if err := os.WriteFile(cfgPath, []byte(pbxConfig{UASPort: uasPort, RangeFrom: 1000, RangeTo: 1199}.yaml()), 0o644); err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(dir, "pbx.db")
	startSIPp(t, sipp, dir, "uas", "-sf", scenario(t, "uas.xml"), "-i", "127.0.0.1", "-p", strconv.Itoa(uasPort))
	proc := startPBX(t, cfgPath, store, pbxPort, "pbx1.log")
	target := proc.addr

	// contact[user] is the contact SIPp registered for user and saw 200 for.
	contact := make(map[string]string)

	// 1. Registrations before the load.
	reg1Port := freePort(t, "udp", "127.0.0.1")
	writeInjection(t, filepath.Join(dir, "reg1.csv"), userRange(1000, 1099))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res := runSIPp(ctx, t, sipp, dir, "reg1", "-sf", scenario(t, "register.xml"),
		"-inf", filepath.Join(dir, "reg1.csv"), "-i", "127.0.0.1", "-p", strconv.Itoa(reg1Port),
		"-r", "100", "-m", "100", "-recv_timeout", "10000", target)
	t.Log(res)
	if res.ExitCode != 0 || res.Successful != 100 {
		t.Fatalf("initial registrations: want 100 successful, got %s\n%s", res, res.diagnostics())
	}
	for _, u := range logged(res.Logs, "REG") {
		contact[u] = fmt.Sprintf("sip:%s@127.0.0.1:%d", u, reg1Port)
	}

	// 2. Registrations and calls under load, and SIGKILL.
	reg2Port := freePort(t, "udp", "127.0.0.1")
	writeInjection(t, filepath.Join(dir, "reg2.csv"), userRange(1100, 1199))
	regScenario, uacScenario := scenario(t, "register.xml"), scenario(t, "uac.xml")
	uacPort := freePort(t, "udp", "127.0.0.2")
	var wg sync.WaitGroup
	var reg2, calls sippResult
	var reg2Err, callsErr error
	wg.Add(2)
	go func() {
		defer wg.Done()
		reg2, reg2Err = execSIPp(ctx, sipp, dir, "reg2", "-sf", regScenario,
			"-inf", filepath.Join(dir, "reg2.csv"), "-i", "127.0.0.1", "-p", strconv.Itoa(reg2Port),
			"-r", "25", "-m", "100", "-recv_timeout", "3000", target)
	}()
	go func() {
		defer wg.Done()
		calls, callsErr = execSIPp(ctx, sipp, dir, "calls", "-sf", uacScenario, "-s", "2000",
			"-i", "127.0.0.2", "-p", strconv.Itoa(uacPort),
			"-r", "30", "-m", "150", "-d", "200", "-recv_timeout", "3000", target)
	}()
	time.Sleep(2500 * time.Millisecond)
	proc.kill9()
	t.Log("pbxlab killed with SIGKILL under load")
	wg.Wait()
	for _, e := range []error{reg2Err, callsErr} {
		if e != nil {
			t.Fatal(e)
		}
	}
	t.Log(reg2)
	t.Log(calls)
	for _, u := range logged(reg2.Logs, "REG") {
		contact[u] = fmt.Sprintf("sip:%s@127.0.0.1:%d", u, reg2Port)
	}
	okCalls := logged(calls.Logs, "OK")
	if len(okCalls) != calls.Successful {
		t.Errorf("%d calls logged complete, SIPp counts %d successful", len(okCalls), calls.Successful)
	}
	if len(okCalls) == 0 || len(contact) <= 100 {
		t.Fatalf("the kill did not happen under load: %d calls and %d registrations completed before it\n%s\n%s",
			len(okCalls), len(contact)-100, calls.diagnostics(), tail(filepath.Join(dir, "pbx1.log"), 30))
	}
	t.Logf("before the kill SIPp saw %d registrations and %d complete calls (%d calls failed around it)",
		len(contact), len(okCalls), calls.Failed)

	// 3. Restart on the same store; fetch every binding SIPp saw
	// acknowledged.
	proc = startPBX(t, cfgPath, store, pbxPort, "pbx2.log")
	users := make([]int, 0, len(contact))
	for u := range contact {
		n, _ := strconv.Atoi(u)
		users = append(users, n)
	}
	writeInjection(t, filepath.Join(dir, "fetch.csv"), users)
	fetch := runSIPp(ctx, t, sipp, dir, "fetch", "-sf", scenario(t, "fetch.xml"),
		"-inf", filepath.Join(dir, "fetch.csv"), "-i", "127.0.0.1", "-p", strconv.Itoa(freePort(t, "udp", "127.0.0.1")),
		"-r", "100", "-m", strconv.Itoa(len(users)), "-recv_timeout", "10000", target)
	t.Log(fetch)
	if fetch.ExitCode != 0 || fetch.Successful != len(users) {
		t.Errorf("fetching %d bindings after the restart: %s\n%s", len(users), fetch, fetch.diagnostics())
	}
	bound := make(map[string]string)
	for _, l := range fetch.Logs {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "BOUND" {
			bound[f[1]] = strings.Join(f[2:], " ")
		}
	}
	lost := 0
	for u, c := range contact {
		if !strings.Contains(bound[u], c) {
			lost++
			if lost <= 10 {
				t.Errorf("subscriber %s: registered %s (acknowledged with 200), after the restart bound to %q", u, c, bound[u])
			}
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged registrations lost by kill -9", lost, len(contact))
	}
	proc.stop()

	// CDRs of the calls SIPp completed before the kill.
	recs := listCDRs(t, store)
	byID := make(map[string]pbx.CDR, len(recs))
	for _, r := range recs {
		byID[r.CallID] = r
	}
	missing, interrupted := 0, 0
	for _, id := range okCalls {
		r, ok := byID[id]
		switch {
		case !ok:
			missing++
			if missing <= 10 {
				t.Errorf("call %s completed before the kill (BYE answered 200) has no CDR", id)
			}
		case r.Answer.IsZero() || (r.Disposition != pbx.Answered && r.Disposition != pbx.Interrupted):
			t.Errorf("call %s completed before the kill: CDR %+v, want ANSWERED (or INTERRUPTED) with an answer time", id, r)
		case r.Disposition == pbx.Interrupted:
			interrupted++
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d completed calls have no CDR after kill -9", missing, len(okCalls))
	}
	counted := 0
	for _, r := range recs {
		if !r.Answer.IsZero() && (r.Disposition == pbx.Answered || r.Disposition == pbx.Interrupted) {
			counted++
		}
	}
	if counted < calls.Successful {
		t.Errorf("%d answered (ANSWERED or INTERRUPTED) CDRs, want >= %d (SIPp's successful calls)", counted, calls.Successful)
	}
	t.Logf("CDRs: %d records, %d answered; %d of the %d calls SIPp completed are INTERRUPTED (the PBX died between the 200 to BYE and the CDR update)",
		len(recs), counted, interrupted, len(okCalls))
}
