package pbx_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"pbxlab/internal/leakcheck"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest"
)

// registerRaw sends one REGISTER for 1000 (with authorization, when given)
// from a fresh UDP socket and returns the PBX's final response.
func registerRaw(ctx context.Context, t *testing.T, target netip.AddrPort, authorization string) *sip.Response {
	t.Helper()
	conn, err := net.Dial("udp", target.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	id := make([]byte, 8)
	_, _ = rand.Read(id)
	tag := hex.EncodeToString(id)
	msg := fmt.Sprintf("REGISTER sip:%[1]s SIP/2.0\r\n"+
		"Via: SIP/2.0/UDP %[2]s;branch=z9hG4bK%[3]s;rport\r\nMax-Forwards: 70\r\n"+
		"From: <sip:1000@%[1]s>;tag=%[3]s\r\nTo: <sip:1000@%[1]s>\r\nCall-ID: %[3]s\r\nCSeq: 1 REGISTER\r\n"+
		"Contact: <sip:1000@%[2]s>\r\nExpires: 60\r\n", target, conn.LocalAddr(), tag)
	if authorization != "" {
		msg += "Authorization: " + authorization + "\r\n"
	}
	msg += "Content-Length: 0\r\n\r\n"
	if _, err := conn.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	deadline, _ := ctx.Deadline()
	_ = conn.SetReadDeadline(deadline)
	buf := make([]byte, 65535)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("no final response to REGISTER: %v", err)
		}
		m, err := sip.ParseMessage(buf[:n])
		if err != nil {
			t.Fatalf("parse response: %v\n%s", err, buf[:n])
		}
		if res, ok := m.(*sip.Response); ok && res.StatusCode >= 200 {
			return res
		}
	}
}

// challenge returns the first (MD5) digest challenge the PBX sends.
func challenge(ctx context.Context, t *testing.T, target netip.AddrPort) *digest.Challenge {
	t.Helper()
	res := registerRaw(ctx, t, target, "")
	h := res.GetHeader("WWW-Authenticate")
	if res.StatusCode != 401 || h == nil {
		t.Fatalf("REGISTER without credentials: %d %s", res.StatusCode, res.Reason)
	}
	ch, err := digest.ParseChallenge(h.Value())
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// registerWith answers ch (a nonce issued by any PBX) at target.
func registerWith(ctx context.Context, t *testing.T, target netip.AddrPort, ch *digest.Challenge) *sip.Response {
	t.Helper()
	cred, err := digest.Digest(ch, digest.Options{Method: "REGISTER", URI: "sip:" + target.String(), Username: "1000", Password: "pw1000", Cnonce: "0a4f113b", Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	return registerRaw(ctx, t, target, cred.String())
}

// startNonceTestPBX runs a PBX for subscriber 1000/pw1000 with its store
// in dir and, when secret is set, auth.nonce_secret.
func startNonceTestPBX(t *testing.T, dir, secret string) *pbxtest.Instance {
	t.Helper()
	yaml := "subscriber_ranges: [{from: \"1000\", to: \"1001\", password: \"pw{n}\"}]\n"
	if secret != "" {
		yaml += fmt.Sprintf("auth:\n  nonce_secret: %q\n", secret)
	}
	cfg, err := config.Parse("pbx.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	in, err := pbxtest.Start(cfg, pbxtest.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = in.Close() })
	return in
}

// wantRejected checks that credentials with a foreign nonce get a fresh
// challenge, not stale=true (the nonce is not ours, not merely old).
func wantRejected(t *testing.T, what string, res *sip.Response) {
	t.Helper()
	if res.StatusCode != 401 {
		t.Fatalf("%s: %d %s, want 401", what, res.StatusCode, res.Reason)
	}
	ch, err := digest.ParseChallenge(res.GetHeader("WWW-Authenticate").Value())
	if err != nil || ch.Stale {
		t.Errorf("%s: challenge %+v (%v), want a fresh one without stale=true", what, ch, err)
	}
}

// TestNonceSurvivesRestart: without auth.nonce_secret the key is generated
// once and kept in the store, so a nonce from before a restart is accepted
// after it; a PBX with another store does not accept it.
func TestNonceSurvivesRestart(t *testing.T) {
	leakcheck.Check(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir := t.TempDir()
	first := startNonceTestPBX(t, dir, "")
	ch := challenge(ctx, t, first.UDP)
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	restarted := startNonceTestPBX(t, dir, "")
	if res := registerWith(ctx, t, restarted.UDP, ch); res.StatusCode != 200 {
		t.Fatalf("nonce from before the restart: %d %s, want 200", res.StatusCode, res.Reason)
	}
	other := startNonceTestPBX(t, t.TempDir(), "")
	wantRejected(t, "nonce of a PBX with another store", registerWith(ctx, t, other.UDP, ch))
}

// TestNodesSharingNonceSecret: two PBX nodes configured with the same
// auth.nonce_secret (and separate stores) accept each other's nonces; a
// node with another secret does not.
func TestNodesSharingNonceSecret(t *testing.T) {
	leakcheck.Check(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const shared = "cluster-secret-0123456789abcdef0123456789"
	a := startNonceTestPBX(t, t.TempDir(), shared)
	b := startNonceTestPBX(t, t.TempDir(), shared)
	c := startNonceTestPBX(t, t.TempDir(), "another-secret-0123456789abcdef0123456789")

	fromA := challenge(ctx, t, a.UDP)
	if res := registerWith(ctx, t, b.UDP, fromA); res.StatusCode != 200 {
		t.Fatalf("B with A's nonce: %d %s, want 200", res.StatusCode, res.Reason)
	}
	fromB := challenge(ctx, t, b.UDP)
	if res := registerWith(ctx, t, a.UDP, fromB); res.StatusCode != 200 {
		t.Fatalf("A with B's nonce: %d %s, want 200", res.StatusCode, res.Reason)
	}
	wantRejected(t, "C with A's nonce", registerWith(ctx, t, c.UDP, fromA))
	wantRejected(t, "A with C's nonce", registerWith(ctx, t, a.UDP, challenge(ctx, t, c.UDP)))
}
