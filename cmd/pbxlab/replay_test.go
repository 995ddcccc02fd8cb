package main

import (
	"bytes"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pbxlab/internal/pcapio"
	"pbxlab/pbx/pbxtest"
)

// writeRegisterCapture writes a REGISTER answered by a challenge, the
// retry with credentials and its final answer (status).
func writeRegisterCapture(t *testing.T, path, status string) {
	t.Helper()
	phone := netip.MustParseAddrPort("192.0.2.10:5062")
	pbx := netip.MustParseAddrPort("192.0.2.1:5060")
	req := func(cseq, branch, auth string) []byte {
		return []byte("REGISTER sip:192.0.2.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5062;branch=" + branch +
			"\r\nMax-Forwards: 70\r\nFrom: <sip:1001@192.0.2.1>;tag=a1\r\nTo: <sip:1001@192.0.2.1>\r\nCall-ID: reg-1\r\nCSeq: " + cseq +
			" REGISTER\r\nContact: <sip:1001@192.0.2.10:5062>\r\nExpires: 60\r\n" + auth + "Content-Length: 0\r\n\r\n")
	}
	res := func(status, cseq, branch, extra string) []byte {
		return []byte("SIP/2.0 " + status + "\r\nVia: SIP/2.0/UDP 192.0.2.10:5062;branch=" + branch +
			"\r\nFrom: <sip:1001@192.0.2.1>;tag=a1\r\nTo: <sip:1001@192.0.2.1>;tag=s" + cseq + "\r\nCall-ID: reg-1\r\nCSeq: " + cseq +
			" REGISTER\r\n" + extra + "Content-Length: 0\r\n\r\n")
	}
	var buf bytes.Buffer
	w, err := pcapio.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	w.UDP(phone, pbx, req("1", "z9hG4bK1", ""))
	w.UDP(pbx, phone, res("401 Unauthorized", "1", "z9hG4bK1", `WWW-Authenticate: Digest realm="pbxlab", nonce="old", algorithm=MD5`+"\r\n"))
	w.UDP(phone, pbx, req("2", "z9hG4bK2", `Authorization: Digest username="1001", realm="pbxlab", nonce="old", uri="sip:192.0.2.1:5060", response="00000000000000000000000000000000", algorithm=MD5`+"\r\n"))
	w.UDP(pbx, phone, res(status, "2", "z9hG4bK2", ""))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReplayCommand(t *testing.T) {
	in, err := pbxtest.Start(nil, pbxtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	dir := t.TempDir()
	ok, bad := filepath.Join(dir, "ok.pcapng"), filepath.Join(dir, "bad.pcapng")
	writeRegisterCapture(t, ok, "200 OK")
	writeRegisterCapture(t, bad, "403 Forbidden")
	creds := filepath.Join(dir, "creds.yaml")
	if err := os.WriteFile(creds, []byte("1001: demo1001\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	badCreds := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(badCreds, []byte("1001: demo1001\n1001: again\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	closed := closedUDPPort(t)
	html, live := filepath.Join(dir, "r.html"), filepath.Join(dir, "live.pcapng")
	for _, tc := range []struct {
		name           string
		args           []string
		code           int
		stdout, stderr string
	}{
		{"equivalent", []string{"replay", ok, "--target", in.Target(), "--pace", "fast", "--credentials", creds, "--html", html, "--capture", live}, 0, "D1: equivalent (4 messages)", ""},
		{"divergent", []string{"replay", "--target", in.Target(), "--pace", "x10", "--timeout", "1s", "--credentials", creds, bad}, 1, "D1: divergent at step 4: expected D1/t2 PBX -> A 403 REGISTER, got D1/t2 PBX -> A 200 REGISTER", "1 of 1 dialogs"},
		{"unreachable target", []string{"replay", ok, "--target", closed, "--timeout", "1s"}, 2, "", "unreachable"},
		{"bad credentials file", []string{"replay", ok, "--target", in.Target(), "--credentials", badCreds}, 2, "", "bad.yaml:2"},
		{"no target", []string{"replay", ok}, 2, "", "--target"},
		{"bad pace", []string{"replay", ok, "--target", in.Target(), "--pace", "slow"}, 2, "", "--pace"},
		{"bad sut", []string{"replay", ok, "--target", in.Target(), "--sut", "nowhere"}, 2, "", "--sut"},
		{"named sut", []string{"replay", ok, "--target", in.Target(), "--sut", "192.0.2.1:5060", "--pace", "fast", "--credentials", creds}, 0, "D1: equivalent", ""},
		{"no capture", []string{"replay", "--target", in.Target()}, 2, "", "one capture file"},
		{"missing capture", []string{"replay", filepath.Join(dir, "none.pcapng"), "--target", in.Target()}, 2, "", "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := run(tc.args, &out, &errb, inProcessSetup()); code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out.String(), errb.String())
			}
			if !strings.Contains(out.String(), tc.stdout) || !strings.Contains(errb.String(), tc.stderr) {
				t.Fatalf("stdout %q / stderr %q, want %q / %q", out.String(), errb.String(), tc.stdout, tc.stderr)
			}
		})
	}
	page, err := os.ReadFile(html)
	if err != nil || bytes.Count(page, []byte("<svg")) != 2 {
		t.Errorf("the HTML page: %v, %d ladders", err, bytes.Count(page, []byte("<svg")))
	}
	pkts, err := pcapio.ReadFile(live)
	if err != nil || len(pkts) != 4 {
		t.Errorf("the live capture: %v, %d packets, want 4", err, len(pkts))
	}
}

// closedUDPPort is a loopback UDP address nothing listens on.
func closedUDPPort(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	return addr
}
