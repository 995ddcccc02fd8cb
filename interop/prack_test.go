package interop

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"pbxlab/pbx"
)

// TestSIPpPRACKThroughPBX: 100rel in both directions through the pbxlab
// binary, against SIPp on both legs (RFC 3262). The caller (SIPp UAC,
// testdata/sipp/prack_uac.xml) requires 100rel: it must get the callee's
// 183 reliably (Require: 100rel, RSeq) from pbxlab, PRACK it, get 200 for
// the PRACK and then the 200 of its INVITE. The callee (SIPp UAS,
// prack_uas.xml) is offered Supported: 100rel, sends its 183 reliably
// (RSeq 1) and must get pbxlab's PRACK (RAck 1 <CSeq> INVITE) before it
// answers. Every call must succeed on both legs, each callee PRACKed once,
// and leave an ANSWERED CDR.
func TestSIPpPRACKThroughPBX(t *testing.T) {
	sipp := requireSIPp(t)
	calls := envInt(t, "PBXLAB_INTEROP_PRACK_CALLS", 20)
	dir := t.TempDir()
	uasPort := freePort(t, "udp", "127.0.0.1")
	pbxPort := freePort(t, "udp", "127.0.0.1")
	cfgPath := filepath.Join(dir, "pbx.yaml")
	if err := os.WriteFile(cfgPath, []byte(pbxConfig{UASPort: uasPort, RangeFrom: 1000, RangeTo: 1009}.yaml()), 0o644); err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(dir, "pbx.db")
	uas := startSIPp(t, sipp, dir, "prack_uas", "-sf", scenario(t, "prack_uas.xml"), "-i", "127.0.0.1", "-p", strconv.Itoa(uasPort))
	proc := startPBX(t, cfgPath, store, pbxPort, "pbx.log")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res := runSIPp(ctx, t, sipp, dir, "prack_uac",
		"-sf", scenario(t, "prack_uac.xml"), "-s", "2000",
		"-i", "127.0.0.2", "-p", strconv.Itoa(freePort(t, "udp", "127.0.0.2")),
		"-r", "10", "-m", strconv.Itoa(calls), "-d", "200", "-recv_timeout", "10000", proc.addr)
	t.Log(res)
	if res.ExitCode != 0 || res.Failed != 0 || res.Successful != calls {
		t.Fatalf("caller requiring 100rel: want %d successful calls, got %s\n%s\n%s", calls, res, res.diagnostics(), tail(filepath.Join(dir, "pbx.log"), 30))
	}
	if got := len(logged(res.Logs, "OK")); got != calls {
		t.Errorf("%d calls completed with a reliable 183 PRACKed, want %d", got, calls)
	}
	st, err := uas.waitCalls(calls, 15*time.Second)
	if err != nil || st.Successful != calls || st.Failed != 0 {
		t.Errorf("callee sending reliable 183s: want %d successful calls, got %+v (%v)\n%s", calls, st, err, uas.res.diagnostics())
	}
	pracks := 0
	for _, l := range readLines(filepath.Join(dir, "prack_uas.log")) {
		if strings.HasPrefix(l, "PRACK ") {
			pracks++
		}
	}
	if pracks != calls {
		t.Errorf("callee got %d PRACKs, want one per call (%d)", pracks, calls)
	}
	proc.stop()
	answered := 0
	for _, r := range listCDRs(t, store) {
		if r.Disposition == pbx.Answered {
			answered++
		}
	}
	if answered != calls {
		t.Errorf("%d ANSWERED CDRs, want %d", answered, calls)
	}
}
