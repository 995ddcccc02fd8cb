package conformance

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// rfcFake is a UDP element that answers every torture message exactly as
// RFCAnswers says (its first code, with the headers the row demands, or
// nothing for a drop) and a plain OPTIONS with 200. It recognises a
// message by its bytes with the top Via normalised, since the runner
// rewrites the top Via (RewriteTopVia) and most messages do not parse.
type rfcFake struct {
	pc     net.PacketConn
	byData map[string]Expectation
	wg     sync.WaitGroup
}

func normalise(b []byte) string {
	if nb, _, err := RewriteTopVia(b, "UDP", "fake.invalid"); err == nil {
		return string(nb)
	}
	return string(b)
}

func startRFCFake(t *testing.T, msgs []Message) *rfcFake {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &rfcFake{pc: pc, byData: map[string]Expectation{}}
	rfc := RFCAnswers()
	for _, m := range msgs {
		key := normalise(m.Data)
		if _, dup := f.byData[key]; dup {
			t.Fatalf("%s: two messages normalise to the same bytes", m.ID())
		}
		f.byData[key] = rfc[m.Name].For("udp")
	}
	f.wg.Add(1)
	go f.serve()
	t.Cleanup(func() {
		_ = pc.Close()
		f.wg.Wait()
	})
	return f
}

func (f *rfcFake) serve() {
	defer f.wg.Done()
	buf := make([]byte, 65535)
	for {
		n, from, err := f.pc.ReadFrom(buf)
		if err != nil {
			return
		}
		data := bytes.Clone(buf[:n])
		var req *sip.Request
		if msg, err := sip.NewParser().ParseSIP(data); err == nil {
			req, _ = msg.(*sip.Request)
		}
		e, known := f.byData[normalise(data)]
		switch {
		case !known && req != nil && req.Method == sip.OPTIONS:
			e = Expectation{Codes: codes(200)}
		case !known || e.Drop || len(e.Codes) == 0:
			continue // an ACK, a BYE after a 2xx, a drop
		}
		_, _ = f.pc.WriteTo(fakeResponse(req, e.Codes[0], e.Headers), from)
	}
}

// fakeResponse builds the answer with sipgo: the request's Call-ID when it
// parses (so the runner matches it to the request), and a header field
// for every header the RFC's row demands.
func fakeResponse(req *sip.Request, code int, headers []string) []byte {
	callID := "unparsed@fake.invalid"
	if req != nil && req.CallID() != nil {
		callID = req.CallID().Value()
	}
	res := sip.NewResponse(code, "As RFC")
	res.AppendHeader(sip.NewHeader("Via", "SIP/2.0/UDP fake.invalid;branch=z9hG4bK-fake"))
	res.AppendHeader(sip.NewHeader("From", "<sip:a@fake.invalid>;tag=1"))
	res.AppendHeader(sip.NewHeader("To", "<sip:b@fake.invalid>;tag=2"))
	res.AppendHeader(sip.NewHeader("Call-ID", callID))
	res.AppendHeader(sip.NewHeader("CSeq", "1 OPTIONS"))
	values := map[string]string{
		"www-authenticate": `Digest realm="fake", nonce="1"`,
		"allow":            "INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER",
		"unsupported":      "foo",
		"accept":           "application/sdp",
		"warning":          `399 fake.invalid "as the RFC asks"`,
	}
	for _, h := range headers {
		v, ok := values[strings.ToLower(h)]
		if !ok {
			v = "x"
		}
		res.AppendHeader(sip.NewHeader(h, v))
	}
	res.SetBody(nil)
	return []byte(res.String())
}

// TestRFCTablePassesAnRFCTarget: a target that answers every torture
// message as the RFCs say passes the RFC table (what `pbxlab conform
// --torture` uses by default), and fails pbxlab's table exactly where
// pbxlab deviates.
func TestRFCTablePassesAnRFCTarget(t *testing.T) {
	checkGoroutines(t)
	msgs, err := Corpus()
	if err != nil {
		t.Fatal(err)
	}
	f := startRFCFake(t, msgs)
	rfc, err := Table(TableRFC)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := Run(ctx, Target{UDP: f.pc.LocalAddr().String()}, msgs, WithExpectations(rfc), WithTimeout(time.Second), WithConcurrency(16))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != len(msgs) {
		t.Fatalf("%d results for %d messages", len(rep.Results), len(msgs))
	}
	for _, r := range rep.Failures() {
		t.Errorf("%s/%s: %s (the fake answers as the RFC says)", r.Corpus, r.Name, r.Problem)
	}
	if err := rep.Alive(); err != nil {
		t.Error(err)
	}
	// The same answers against pbxlab's table fail at least where pbxlab
	// documents a deviation (the RFC allows several answers elsewhere, of
	// which pbxlab may give another than the fake's first).
	ours := Expectations()
	deviations := 0
	for _, r := range rep.Results {
		e := ours[r.Name].For(r.Transport)
		if e.Deviation == "" {
			continue
		}
		deviations++
		if e.Check(r.Outcome) == "" {
			t.Errorf("%s: the RFC's answer (%s) passes pbxlab's row, which claims a deviation", r.Name, r.Outcome.Summary())
		}
	}
	if deviations == 0 {
		t.Error("pbxlab's table has no deviation over UDP")
	}
}

func TestTable(t *testing.T) {
	for _, name := range TableNames() {
		if tab, err := Table(name); err != nil || len(tab) < 62 {
			t.Errorf("Table(%q): %d rows, %v", name, len(tab), err)
		}
	}
	if _, err := Table("asterisk"); !errors.Is(err, ErrUnknownTable) {
		t.Errorf("unknown table: %v", err)
	}
}
