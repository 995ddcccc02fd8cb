package main

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pbxlab/internal/pcapio"
)

// writeCapture writes a two-message capture: a REGISTER and its 200.
func writeCapture(t *testing.T, path string, status string) {
	t.Helper()
	phone := netip.MustParseAddrPort("127.0.0.1:40000")
	pbx := netip.MustParseAddrPort("127.0.0.1:5060")
	head := "Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bK1\r\nFrom: <sip:1001@h>;tag=a\r\nTo: <sip:1001@h>\r\nCall-ID: r1\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n"
	var buf bytes.Buffer
	w, err := pcapio.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	w.UDP(phone, pbx, []byte("REGISTER sip:h SIP/2.0\r\nMax-Forwards: 70\r\n"+head))
	w.UDP(pbx, phone, []byte("SIP/2.0 "+status+"\r\n"+strings.Replace(head, "To: <sip:1001@h>", "To: <sip:1001@h>;tag=b", 1)))
	w.UDP(phone, pbx, []byte{0x80, 0, 0, 1}) // RTP-like: left out
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFlowCommand(t *testing.T) {
	dir := t.TempDir()
	ok, bad := filepath.Join(dir, "ok.pcapng"), filepath.Join(dir, "bad.pcapng")
	writeCapture(t, ok, "200 OK")
	writeCapture(t, bad, "403 Forbidden")
	accepted := filepath.Join(dir, "accepted.pcapng")
	writeCapture(t, accepted, "202 Accepted")
	ref := filepath.Join(dir, "ref.flow")
	var out, errb bytes.Buffer
	if code := run([]string{"flow", ok}, &out, &errb, inProcessSetup()); code != 0 {
		t.Fatalf("flow: exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "D1/t1  PBX -> A    200 REGISTER") {
		t.Fatalf("flow printed:\n%s", out.String())
	}
	if err := os.WriteFile(ref, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	html := filepath.Join(dir, "f.html")
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"same as the reference", []string{"flow", "--compare", ref, "--html", html, ok}, 0, "D1: same (2 messages)", ""},
		{"differs from the reference", []string{"flow", "--compare", ref, bad}, 1, "+ D1/t1 PBX -> A 403 REGISTER", "differs from the reference"},
		{"another 2xx differs by code", []string{"flow", "--compare", ref, accepted}, 1, "+ D1/t1 PBX -> A 202 REGISTER", "differs from the reference"},
		{"another 2xx is the same class", []string{"flow", "--compare", ref, "--status-class", accepted}, 0, "", ""},
		{"another class differs whatever the class tolerance", []string{"flow", "--compare", ref, "--status-class", bad}, 1, "", "differs from the reference"},
		{"a method left out", []string{"flow", "--compare", ref, "--ignore-methods", "OPTIONS,REGISTER", bad}, 0, "", ""},
		{"no capture named", []string{"flow"}, 2, "", "one capture file"},
		{"bad sut", []string{"flow", "--sut", "nowhere", ok}, 2, "", "--sut"},
		{"missing capture", []string{"flow", filepath.Join(dir, "none.pcapng")}, 1, "", "no such file"},
		{"not a capture", []string{"flow", ref}, 1, "", "read capture"},
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
	if err != nil || !bytes.Contains(page, []byte("<svg")) {
		t.Errorf("the HTML page: %v, %d bytes", err, len(page))
	}
}
