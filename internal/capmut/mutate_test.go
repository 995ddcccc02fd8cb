package capmut

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/flow"
	"pbxlab/internal/pcapio"
	"pbxlab/internal/sipwire"
	"pbxlab/pcaps"
)

func golden(t testing.TB, name string) []sipwire.Message {
	t.Helper()
	msgs, err := pcaps.GoldenMessages(name)
	if err != nil || len(msgs) == 0 {
		t.Fatalf("%s: %d messages, %v", name, len(msgs), err)
	}
	return msgs
}

// roundTrip writes msgs with Write and reads them back.
func roundTrip(t *testing.T, msgs []sipwire.Message) []sipwire.Message {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, msgs); err != nil {
		t.Fatal(err)
	}
	back, err := sipwire.ReadBytes(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return back
}

// TestMutationsAreFlaggedAtTheirStep: for every golden capture, every kind
// and a few seeds, the mutated capture (written with pcapio and read back)
// normalises to a flow that differs from the original's in the expected
// dialog only, first at the expected step, where the original's message
// is missing or changed. Every kind applies to some golden capture.
func TestMutationsAreFlaggedAtTheirStep(t *testing.T) {
	applied := map[Kind]int{}
	for _, name := range pcaps.GoldenNames() {
		msgs := golden(t, name)
		want := flow.New(msgs)
		if back := flow.New(roundTrip(t, msgs)); back.String() != want.String() {
			t.Fatalf("%s: rewriting the capture unchanged changes its flow:\n%s", name, flow.Compare(want, back))
		}
		for _, kind := range Kinds() {
			for seed := range uint64(3) {
				t.Run(fmt.Sprintf("%s/%s/seed%d", name, kind, seed), func(t *testing.T) {
					m, err := Mutate(msgs, kind, seed)
					if errors.Is(err, ErrNotApplicable) {
						// only a capture without a BYE cannot lose one
						if kind != DroppedBYE || slices.ContainsFunc(msgs, isBYE) {
							t.Fatalf("%s: %v", name, err)
						}
						return
					}
					if err != nil {
						t.Fatal(err)
					}
					applied[kind]++
					checkFlagged(t, want, m, roundTrip(t, m.Messages))
				})
			}
		}
	}
	for _, k := range Kinds() {
		if applied[k] == 0 {
			t.Errorf("%s applies to no golden capture", k)
		}
	}
}

func isBYE(m sipwire.Message) bool {
	r, ok := m.Msg.(*sip.Request)
	return ok && r.Method == sip.BYE
}

func checkFlagged(t *testing.T, want flow.Flow, m Mutation, got []sipwire.Message) {
	t.Helper()
	r := flow.Compare(want, flow.New(got))
	if r.Equal() {
		t.Fatalf("%s: the mutated flow equals the original", m.Description)
	}
	for _, d := range r.Dialogs {
		if d.Call != m.Expect.Dialog {
			if !d.Equal() {
				t.Errorf("%s: dialog %s differs too, want only %s:\n%s", m.Description, d.Call, m.Expect.Dialog, r)
			}
			continue
		}
		at := d.FirstDifference()
		if at != m.Expect.Step {
			t.Fatalf("%s: %s differs first at step %d, want %d:\n%s", m.Description, d.Call, at, m.Expect.Step, r)
		}
		line := d.Lines[at]
		if line.Op != flow.Missing || !strings.Contains(line.Text, " "+m.Expect.Label) {
			t.Errorf("%s: first difference %c %q, want the original's %q missing", m.Description, line.Op, line.Text, m.Expect.Label)
		}
	}
}

// TestMutateChoosesTheSUTsMessages: the 486 and the codec change are on
// messages the PBX sent; the same seed gives the same mutation, and an
// unknown kind is refused.
func TestMutateChoosesTheSUTsMessages(t *testing.T) {
	msgs := golden(t, "basic-call")
	setup, err := pcaps.GoldenSetup("basic-call")
	if err != nil {
		t.Fatal(err)
	}
	sut := netip.MustParseAddrPort(setup.SUT)
	for _, kind := range Kinds() {
		a, err := Mutate(msgs, kind, 7)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Mutate(msgs, kind, 7, WithSUT(sut))
		if err != nil {
			t.Fatal(err)
		}
		if a.Expect != b.Expect || a.Description != b.Description {
			t.Errorf("%s: seed 7 gave %+v, then %+v", kind, a.Expect, b.Expect)
		}
		if src := msgs[a.Expect.Index].Src; src != sut {
			t.Errorf("%s mutated a message from %v, not from the PBX %v", kind, src, sut)
		}
	}
	if _, err := Mutate(msgs, "nonsense", 1); !errors.Is(err, ErrKind) {
		t.Errorf("unknown kind: %v", err)
	}
	all, err := MutateAll(msgs, 1)
	if err != nil || len(all) != len(Kinds()) {
		t.Errorf("MutateAll: %d mutations, %v", len(all), err)
	}
}

// TestWriteKeepsTransportAndTime: messages written over TCP and UDP read
// back with their transport, addresses and times, in order.
func TestWriteKeepsTransportAndTime(t *testing.T) {
	phone := netip.MustParseAddrPort("127.0.0.1:40000")
	pbx := netip.MustParseAddrPort("[::1]:5060")
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var in []sipwire.Message
	for i, proto := range []string{pcapio.ProtoTCP, pcapio.ProtoUDP, pcapio.ProtoTCP} {
		req := sip.NewRequest(sip.OPTIONS, sip.Uri{User: "1002", Host: "127.0.0.1"})
		req.AppendHeader(sip.NewHeader("Call-ID", "c"+string(rune('1'+i))))
		req.AppendHeader(&sip.CSeqHeader{SeqNo: uint32(i + 1), MethodName: sip.OPTIONS})
		req.SetBody(nil)
		in = append(in, sipwire.Message{Time: t0.Add(time.Duration(i) * time.Second), Proto: proto, Src: phone, Dst: pbx, Msg: req})
	}
	got := roundTrip(t, in)
	if len(got) != len(in) {
		t.Fatalf("%d messages back, want %d", len(got), len(in))
	}
	for i := range in {
		g := got[i]
		if g.Proto != in[i].Proto || !g.Time.Equal(in[i].Time) || g.Src.Port() != phone.Port() || g.Dst.Port() != pbx.Port() || callID(g.Msg) != callID(in[i].Msg) {
			t.Errorf("message %d back as %s %v %v->%v %s", i, g.Proto, g.Time, g.Src, g.Dst, callID(g.Msg))
		}
	}
}

// FuzzMutate: mutations take a user's capture; whatever its SIP, no panic,
// and a mutation keeps or shrinks the message count and points inside the
// original.
func FuzzMutate(f *testing.F) {
	msgs := golden(f, "basic-call")
	f.Add([]byte(msgs[0].Msg.String()), []byte(msgs[len(msgs)-1].Msg.String()), uint64(1))
	for _, m := range msgs {
		if len(m.Msg.Body()) > 0 {
			f.Add([]byte(m.Msg.String()), []byte("SIP/2.0 200 OK\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"), uint64(2))
			break
		}
	}
	phone := netip.MustParseAddrPort("127.0.0.1:40000")
	pbx := netip.MustParseAddrPort("127.0.0.1:5060")
	f.Fuzz(func(t *testing.T, a, b []byte, seed uint64) {
		in := sipwire.FromPackets([]pcapio.Packet{
			{Proto: pcapio.ProtoUDP, Src: phone, Dst: pbx, Payload: a},
			{Proto: pcapio.ProtoUDP, Src: pbx, Dst: phone, Payload: b},
			{Proto: pcapio.ProtoUDP, Src: pbx, Dst: phone, Payload: b},
		})
		for _, kind := range Kinds() {
			m, err := Mutate(in, kind, seed)
			if err != nil {
				continue
			}
			if len(m.Messages) > len(in) || m.Expect.Index < 0 || m.Expect.Index >= len(in) {
				t.Fatalf("%s: %d messages from %d, index %d", kind, len(m.Messages), len(in), m.Expect.Index)
			}
			var buf bytes.Buffer
			if err := Write(&buf, m.Messages); err != nil {
				t.Fatal(err)
			}
		}
	})
}
