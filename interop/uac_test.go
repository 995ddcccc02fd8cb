package interop

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"pbxlab/pbx"
	"strconv"
	"testing"
	"time"
)

// TestSIPpUACThroughPBX runs PBXLAB_INTEROP_CALLS (default 1000) calls at
// 50 calls/s from a SIPp UAC on the trusted address 127.0.0.2 through the
// pbxlab binary to a SIPp UAS registered statically as subscriber 2000,
// and requires every call to succeed end to end (INVITE/200/ACK, BYE/200
// on both legs of the B2BUA), then one ANSWERED CDR per call. A sibling
// subtest checks that an INVITE from 127.0.0.1 (not trusted) is challenged
// with 407 and a Digest Proxy-Authenticate (RFC 3261 §22.3).
func TestSIPpUACThroughPBX(t *testing.T) {
	sipp := requireSIPp(t)
	calls := envInt(t, "PBXLAB_INTEROP_CALLS", 1000)
	const rate, holdMS = 50, 500
	dir := t.TempDir()

	uasPort := freePort(t, "udp", "127.0.0.1")
	pbxPort := freePort(t, "udp", "127.0.0.1")
	cfgPath := filepath.Join(dir, "pbx.yaml")
	if err := os.WriteFile(cfgPath, []byte(pbxConfig{UASPort: uasPort, RangeFrom: 1000, RangeTo: 1099}.yaml()), 0o644); err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(dir, "pbx.db")

	uas := startSIPp(t, sipp, dir, "uas", "-sf", scenario(t, "uas.xml"), "-i", "127.0.0.1", "-p", strconv.Itoa(uasPort))
	proc := startPBX(t, cfgPath, store, pbxPort, "pbx.log")
	target := proc.addr

	t.Run("untrusted INVITE is challenged with 407", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		res := runSIPp(ctx, t, sipp, dir, "invite407",
			"-sf", scenario(t, "invite407.xml"), "-s", "2000",
			"-i", "127.0.0.1", "-p", strconv.Itoa(freePort(t, "udp", "127.0.0.1")),
			"-r", "10", "-m", "5", "-recv_timeout", "10000", target)
		t.Log(res)
		if res.ExitCode != 0 || res.Successful != 5 || res.Failed != 0 {
			t.Fatalf("want 5 INVITEs challenged with 407 + Digest Proxy-Authenticate, got %s\n%s", res, res.diagnostics())
		}
		if got := len(logged(res.Logs, "407")); got != 5 {
			t.Errorf("%d 407 logged, want 5", got)
		}
	})

	var okCalls []string
	t.Run(fmt.Sprintf("%d calls at %d cps", calls, rate), func(t *testing.T) {
		budget := time.Duration(calls/rate)*time.Second + 2*time.Minute
		ctx, cancel := context.WithTimeout(context.Background(), budget)
		defer cancel()
		res := runSIPp(ctx, t, sipp, dir, "uac",
			"-sf", scenario(t, "uac.xml"), "-s", "2000",
			"-i", "127.0.0.2", "-p", strconv.Itoa(freePort(t, "udp", "127.0.0.2")),
			"-r", strconv.Itoa(rate), "-m", strconv.Itoa(calls), "-d", strconv.Itoa(holdMS),
			"-recv_timeout", "20000", target)
		t.Log(res)
		okCalls = logged(res.Logs, "OK")
		if res.ExitCode != 0 || res.Failed != 0 || res.Successful != calls {
			t.Fatalf("want %d successful calls and 0 failed (exit 0), got %s\n%s\n%s", calls, res, res.diagnostics(), tail(filepath.Join(dir, "pbx.log"), 30))
		}
		if len(okCalls) != calls {
			t.Errorf("%d calls logged as completed, want %d", len(okCalls), calls)
		}
		// The callee leg: the UAS must have seen every call complete too
		// (INVITE, ACK of its 200, BYE), with no unexpected message.
		st, err := uas.waitCalls(calls, 15*time.Second)
		if err != nil || st.Successful != calls || st.Failed != 0 {
			t.Errorf("UAS (callee leg): want %d successful calls and 0 failed, got %+v (%v)\n%s", calls, st, err, uas.res.diagnostics())
		}
	})

	proc.stop()

	t.Run("one ANSWERED CDR per call", func(t *testing.T) {
		recs := listCDRs(t, store)
		byID := make(map[string]pbx.CDR, len(recs))
		answered := 0
		for _, r := range recs {
			byID[r.CallID] = r
			if r.Disposition == pbx.Answered {
				answered++
			}
		}
		if answered != len(okCalls) {
			t.Errorf("%d ANSWERED CDRs, want %d (one per successful call; %d records in all)", answered, len(okCalls), len(recs))
		}
		missing := 0
		for _, id := range okCalls {
			r, ok := byID[id]
			switch {
			case !ok:
				missing++
				if missing <= 5 {
					t.Errorf("call %s: no CDR", id)
				}
			case r.Disposition != pbx.Answered || r.Callee != "2000" || r.Answer.IsZero() || r.End.Before(r.Answer):
				t.Errorf("call %s: CDR %+v, want ANSWERED to 2000 with answer <= end", id, r)
			}
		}
		if missing > 0 {
			t.Errorf("%d of %d successful calls have no CDR", missing, len(okCalls))
		}
	})
}
