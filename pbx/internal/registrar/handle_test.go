package registrar

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// step is one REGISTER of a scenario, after advancing the clock.
type step struct {
	advance  time.Duration
	req      reg
	code     int
	contacts []string // Contact values of a 200, in order ("uri expires=N[ q=Q]"); nil = unchecked, none = empty
	header   string   // a header the response must carry, "Name: value"
}

func TestHandleScenarios(t *testing.T) {
	none := []string{} // a 200 without Contact
	a := "sip:1000@10.0.0.5:5062"
	b := "sip:1000@10.0.0.6:5062;transport=tcp"
	tests := []struct {
		name  string
		steps []step
	}{
		{"register, fetch, refresh", []step{
			{req: reg{user: "1000", cseq: 1, expires: "600", contacts: []string{"<" + a + ">"}}, code: 200, contacts: []string{a + " expires=600"}},
			{advance: 100 * time.Second, req: reg{user: "1000", cseq: 2}, code: 200, contacts: []string{a + " expires=500"}},
			{req: reg{user: "1000", cseq: 3, expires: "900", contacts: []string{"<" + a + ">"}}, code: 200, contacts: []string{a + " expires=900"}},
		}},
		{"default expires", []step{
			{req: reg{user: "1000", contacts: []string{a}}, code: 200, contacts: []string{a + " expires=3600"}},
		}},
		{"capped at max", []step{
			{req: reg{user: "1000", expires: "86400", contacts: []string{a}}, code: 200, contacts: []string{a + " expires=3600"}},
		}},
		{"contact expires param overrides header", []step{
			{req: reg{user: "1000", expires: "600", contacts: []string{"<" + a + ">;expires=120", "<" + b + ">"}}, code: 200,
				contacts: []string{a + " expires=120", b + " expires=600"}},
		}},
		{"unparsable expires falls back to default", []step{
			{req: reg{user: "1000", expires: "soon", contacts: []string{"<" + a + ">;expires=99999999999"}}, code: 200, contacts: []string{a + " expires=3600"}},
		}},
		{"interval too brief", []step{
			{req: reg{user: "1000", cseq: 1, expires: "600", contacts: []string{"<" + a + ">"}}, code: 200},
			{req: reg{user: "1000", cseq: 2, contacts: []string{"<" + a + ">;expires=30", "<" + b + ">;expires=600"}}, code: 423, header: "Min-Expires: 60"},
			{req: reg{user: "1000", cseq: 3}, code: 200, contacts: []string{a + " expires=600"}},
		}},
		{"unregister by Expires 0", []step{
			{req: reg{user: "1000", cseq: 1, contacts: []string{"<" + a + ">", "<" + b + ">"}, expires: "600"}, code: 200},
			{req: reg{user: "1000", cseq: 2, contacts: []string{"<" + a + ">"}, expires: "0"}, code: 200, contacts: []string{b + " expires=600"}},
		}},
		{"unregister by contact expires=0", []step{
			{req: reg{user: "1000", cseq: 1, contacts: []string{"<" + a + ">", "<" + b + ">"}, expires: "600"}, code: 200},
			{req: reg{user: "1000", cseq: 2, contacts: []string{"<" + b + ">;expires=0"}, expires: "600"}, code: 200, contacts: []string{a + " expires=600"}},
		}},
		{"unregister all with *", []step{
			{req: reg{user: "1000", cseq: 1, contacts: []string{"<" + a + ">", "<" + b + ">"}, expires: "600"}, code: 200},
			{req: reg{user: "1000", callID: "other", cseq: 1, contacts: []string{"*"}, expires: "0"}, code: 200, contacts: none},
		}},
		{"* needs Expires 0", []step{
			{req: reg{user: "1000", contacts: []string{"*"}, expires: "60"}, code: 400},
			{req: reg{user: "1000", contacts: []string{"*"}}, code: 400},
			{req: reg{user: "1000", contacts: []string{"*", "<" + a + ">"}, expires: "0"}, code: 400},
		}},
		{"* with stale CSeq fails", []step{
			{req: reg{user: "1000", cseq: 5, contacts: []string{"<" + a + ">"}, expires: "600"}, code: 200},
			{req: reg{user: "1000", cseq: 5, contacts: []string{"*"}, expires: "0"}, code: 400},
			{req: reg{user: "1000", cseq: 6}, code: 200, contacts: []string{a + " expires=600"}},
		}},
		{"several contacts sorted by q", []step{
			{req: reg{user: "1000", expires: "600", contacts: []string{"<" + a + ">;q=0.5", "<" + b + ">;q=0.9"}}, code: 200,
				contacts: []string{b + " expires=600 q=0.9", a + " expires=600 q=0.5"}},
			{advance: 10 * time.Second, req: reg{user: "1000", callID: "phone-2", expires: "600", contacts: []string{"sip:1000@10.0.0.7"}}, code: 200,
				contacts: []string{"sip:1000@10.0.0.7 expires=600", b + " expires=590 q=0.9", a + " expires=590 q=0.5"}},
		}},
		{"bad q", []step{
			{req: reg{user: "1000", contacts: []string{"<" + a + ">;q=1.5"}}, code: 400},
			{req: reg{user: "1000", contacts: []string{"<" + a + ">;q=x"}}, code: 400},
		}},
		{"CSeq ordering, RFC 3261 10.3 step 7", []step{
			{req: reg{user: "1000", cseq: 10, expires: "600", contacts: []string{a}}, code: 200},
			{req: reg{user: "1000", cseq: 10, expires: "300", contacts: []string{a}}, code: 400},
			{req: reg{user: "1000", cseq: 9, expires: "300", contacts: []string{a}}, code: 400},
			{req: reg{user: "1000", callID: "rebooted", cseq: 1, expires: "300", contacts: []string{a}}, code: 200, contacts: []string{a + " expires=300"}},
		}},
		{"non-SIP contact", []step{
			{req: reg{user: "1000", contacts: []string{"<tel:+15551234>"}}, code: 400},
		}},
		{"expired binding is gone for fetch and re-register", []step{
			{req: reg{user: "1000", cseq: 1, expires: "60", contacts: []string{a}}, code: 200},
			{advance: 61 * time.Second, req: reg{user: "1000", cseq: 2}, code: 200, contacts: none},
			{req: reg{user: "1000", cseq: 1, expires: "60", contacts: []string{a}}, code: 200, contacts: []string{a + " expires=60"}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, clk := newReg(t, nil, false)
			for i, s := range tc.steps {
				clk.Advance(s.advance)
				res := r.Handle(testCtx(t), s.req.build(t))
				if res.StatusCode != s.code {
					t.Fatalf("step %d: status %d %s, want %d", i, res.StatusCode, res.Reason, s.code)
				}
				if s.header != "" {
					name, val, _ := strings.Cut(s.header, ": ")
					if h := res.GetHeader(name); h == nil || h.Value() != val {
						t.Fatalf("step %d: %s = %v, want %q", i, name, h, val)
					}
				}
				if res.StatusCode != 200 {
					continue
				}
				if res.GetHeader("Date") == nil {
					t.Fatalf("step %d: 200 without Date", i)
				}
				if s.contacts != nil {
					if got := contactsOf(t, res); !slices.Equal(got, s.contacts) {
						t.Fatalf("step %d: contacts\n got %q\nwant %q", i, got, s.contacts)
					}
				}
			}
		})
	}
}

func TestHandleRejects(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(r reg) reg
		edit   func(t *testing.T, rr *Registrar) // optional
		code   int
	}{
		{"To without user", func(r reg) reg { r.user = ""; return r }, nil, 400},
		{"unknown AOR", func(r reg) reg { r.user = "4711"; return r }, nil, 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := newReg(t, nil, false, WithAORExists(func(aor string) bool { return aor == "1000" }))
			req := tc.mutate(reg{user: "1000", contacts: []string{"sip:1000@10.0.0.5"}}).build(t)
			if res := r.Handle(testCtx(t), req); res.StatusCode != tc.code {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.code)
			}
		})
	}
	r, _ := newReg(t, nil, false)
	req := reg{user: "1000"}.build(t)
	req.Method = "OPTIONS"
	if res := r.Handle(testCtx(t), req); res.StatusCode != 405 {
		t.Fatalf("OPTIONS: %d, want 405", res.StatusCode)
	}
	dup := reg{user: "1000"}.build(t)
	dup.AppendHeader(dup.CallID())
	if res := r.Handle(testCtx(t), dup); res.StatusCode != 400 {
		t.Fatalf("two Call-IDs: %d, want 400", res.StatusCode)
	}
}

func TestBindingFieldsFromRequest(t *testing.T) {
	r, clk := newReg(t, nil, false)
	req := reg{user: "1000", callID: "cid", cseq: 7, expires: "600", source: "203.0.113.9:40123", tp: "TCP",
		contacts: []string{"<sip:1000@10.0.0.5:5062;transport=tcp>;q=0.7"}}.build(t)
	if res := r.Handle(testCtx(t), req); res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	bs, err := r.Lookup(testCtx(t), "1000")
	if err != nil || len(bs) != 1 {
		t.Fatalf("Lookup = %v, %v", bs, err)
	}
	b := bs[0]
	if b.AOR != "1000" || b.Contact != "sip:1000@10.0.0.5:5062;transport=tcp" || b.Received.String() != "203.0.113.9:40123" ||
		b.Transport != "tcp" || !b.Expires.Equal(clk.Now().Add(600*time.Second)) || b.Q != 0.7 || b.CallID != "cid" ||
		b.CSeq != 7 || b.Static || !b.UpdatedAt.Equal(clk.Now()) {
		t.Fatalf("binding %+v", b)
	}
	if got, want := b.Target(), "sip:1000@203.0.113.9:40123;transport=tcp"; got != want {
		t.Fatalf("Target = %q, want %q", got, want)
	}
}

func TestStaticBindings(t *testing.T) {
	if _, err := New(NewMemStore(), nil, WithStatic("2000", "tel:123")); err == nil {
		t.Fatal("non-SIP static contact accepted")
	}
	r, clk := newReg(t, nil, false, WithStatic("2000", "sip:2000@192.0.2.10:5070;transport=tcp"))
	req := reg{user: "2000", expires: "600", contacts: []string{"sip:2000@10.0.0.9"}}.build(t)
	res := r.Handle(testCtx(t), req)
	if got := contactsOf(t, res); !slices.Equal(got, []string{"sip:2000@10.0.0.9 expires=600"}) {
		t.Fatalf("200 lists %q; static bindings must not be listed", got)
	}
	clk.Advance(time.Hour)
	bs, err := r.Lookup(testCtx(t), "2000")
	if err != nil || len(bs) != 1 || !bs[0].Static || bs[0].Transport != "tcp" || bs[0].Target() != "sip:2000@192.0.2.10:5070;transport=tcp" {
		t.Fatalf("after expiry Lookup = %+v, %v; want the static binding only", bs, err)
	}
	r.Handle(testCtx(t), reg{user: "2000", cseq: 2, contacts: []string{"*"}, expires: "0"}.build(t))
	if bs, _ := r.Lookup(testCtx(t), "2000"); len(bs) != 1 {
		t.Fatalf("* removed a static binding: %v", bs)
	}
}

func TestNewValidatesExpires(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
	}{
		{"min above default", []Option{WithMinExpires(2 * time.Hour)}},
		{"max below min", []Option{WithMaxExpires(30 * time.Second)}},
		{"zero min", []Option{WithMinExpires(0)}},
		{"no purge interval", []Option{WithPurgeInterval(0)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(NewMemStore(), nil, tc.opts...); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}
