package steps

import (
	"bytes"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/pcapio"
	"pbxlab/internal/testua"
	"pbxlab/pbx/config"
)

func TestSanitise(t *testing.T) {
	tests := []struct{ in, want string }{
		{"register--A registered phone can be called", "register-a-registered-phone-can-be-called"},
		{"  Ünïcode / 301 -> 1002's  ", "n-code-301-1002-s"},
		{"", "scenario"},
		{"---", "scenario"},
		{strings.Repeat("ab ", 60), strings.TrimRight(strings.Repeat("ab-", 34)[:100], "-")},
	}
	for _, tt := range tests {
		if got := sanitise(tt.in); got != tt.want {
			t.Errorf("sanitise(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestHeaderMatches(t *testing.T) {
	tests := []struct {
		actual, expected string
		want             bool
	}{
		{`SIP ;cause=200 ;text="Call completed elsewhere"`, "SIP ;cause=200", true},
		{`SIP;cause=200`, "SIP ;cause=200", true},
		{`sip; cause = 200`, "SIP ;cause=200", true},
		{`SIP ;cause=487`, "SIP ;cause=200", false},
		{`Q.850 ;cause=16`, "SIP ;cause=16", false},
		{`SIP`, "SIP ;cause=200", false},
	}
	for _, tt := range tests {
		if got := headerMatches(tt.actual, tt.expected); got != tt.want {
			t.Errorf("headerMatches(%q, %q) = %v, want %v", tt.actual, tt.expected, got, tt.want)
		}
	}
}

func TestEditSubscriber(t *testing.T) {
	tests := []struct {
		name, number string
		wantRanges   []string
		wantErr      error
	}{
		{"middle of a range", "1002", []string{"1000-1001", "1003-1099"}, nil},
		{"first of a range", "1000", []string{"1001-1099"}, nil},
		{"last of a range", "1099", []string{"1000-1098"}, nil},
		{"not a subscriber", "2000", []string{"1000-1099"}, ErrNoSubscriber},
		{"not a number", "abc", []string{"1000-1099"}, ErrUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := config.Demo()
			err := editSubscriber(c, tt.number, func(s *config.Subscriber) { s.Redirect = config.RedirectPermanent })
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			var ranges []string
			for _, r := range c.SubscriberRanges {
				ranges = append(ranges, r.From+"-"+r.To)
			}
			if !slices.Equal(ranges, tt.wantRanges) {
				t.Errorf("ranges %v, want %v", ranges, tt.wantRanges)
			}
			if err := c.Validate(); err != nil {
				t.Fatalf("edited config invalid: %v", err)
			}
			if tt.wantErr != nil {
				return
			}
			subs := c.Subscribers()
			i := slices.IndexFunc(subs, func(s config.Subscriber) bool { return s.Number == tt.number })
			if i < 0 || subs[i].Password != "demo"+tt.number || c.RedirectFor(subs[i]) != config.RedirectPermanent {
				t.Errorf("subscriber %s not edited: %+v", tt.number, subs)
			}
			if len(subs) != 100 {
				t.Errorf("%d subscribers, want 100", len(subs))
			}
			// Editing again changes the explicit subscriber in place.
			if err := editSubscriber(c, tt.number, func(s *config.Subscriber) { s.Redirect = config.RedirectOff }); err != nil || len(c.ExplicitSubscribers) != 1 {
				t.Errorf("second edit: %v, %d explicit", err, len(c.ExplicitSubscribers))
			}
		})
	}
}

func TestRenderFixtures(t *testing.T) {
	d := fixtureData{
		Transport: "UDP", SentBy: "192.168.1.20:5060", Branch: testua.NewBranch(), Domain: "127.0.0.1",
		User: "1001", Callee: "1002", FromTag: "f1", CallID: "c1", CSeq: 2,
		Contact: "<sip:1001@192.168.1.20:5060>", Expires: 60, Authorization: `Digest username="1001", realm="pbxlab"`,
	}
	tests := []struct {
		file   string
		method sip.RequestMethod
		check  func(*sip.Request) string
	}{
		{"register.sip", sip.REGISTER, func(r *sip.Request) string {
			if r.GetHeader("Authorization") == nil || r.GetHeader("Expires").Value() != "60" {
				return "missing Authorization or Expires"
			}
			return ""
		}},
		{"invite-max-forwards-0.sip", sip.INVITE, func(r *sip.Request) string {
			if r.MaxForwards() == nil || r.MaxForwards().Val() != 0 {
				return "Max-Forwards is not 0"
			}
			return ""
		}},
		{"invite-no-credentials.sip", sip.INVITE, func(r *sip.Request) string {
			if r.GetHeader("Proxy-Authorization") != nil || r.GetHeader("Authorization") != nil {
				return "carries credentials"
			}
			return ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			wire, req, err := render(tt.file, d)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasSuffix(wire, []byte("\r\n\r\n")) || bytes.Contains(bytes.ReplaceAll(wire, []byte("\r\n"), nil), []byte("\n")) {
				t.Errorf("not CRLF wire form: %q", wire)
			}
			if req.Method != tt.method || req.CallID().Value() != "c1" {
				t.Errorf("got %s Call-ID %s", req.Method, req.CallID().Value())
			}
			if msg := tt.check(req); msg != "" {
				t.Error(msg)
			}
		})
	}
	t.Run("register without credentials", func(t *testing.T) {
		d := d
		d.Authorization = ""
		wire, _, err := render("register.sip", d)
		if err != nil || bytes.Contains(wire, []byte("Authorization")) || bytes.Contains(wire, []byte("\r\n\r\n\r\n")) {
			t.Fatalf("err %v, wire %q", err, wire)
		}
	})
	t.Run("unknown fixture", func(t *testing.T) {
		if _, _, err := render("nope.sip", d); !errors.Is(err, ErrBadFixture) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestGrantedExpiry(t *testing.T) {
	tests := []struct {
		name    string
		headers string
		asked   int
		want    time.Duration
	}{
		{"contact param", "Contact: <sip:1001@127.0.0.1:5999>;expires=30\r\nExpires: 60\r\n", 10, 30 * time.Second},
		{"expires header", "Expires: 60\r\n", 10, time.Minute},
		{"nothing", "", 10, 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, err := sip.ParseMessage([]byte("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1\r\nCall-ID: c\r\nCSeq: 1 REGISTER\r\n" + tt.headers + "Content-Length: 0\r\n\r\n"))
			if err != nil {
				t.Fatal(err)
			}
			if got := grantedExpiry(msg.(*sip.Response), tt.asked); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestLivePool(t *testing.T) {
	live := &Live{Addr: "127.0.0.1:5060", Numbers: []string{"1050", "1051", "1052"}, Password: func(n string) string { return "pw" + n }}
	ctx := t.Context()
	s1, err := live.Open(ctx, ScenarioInfo{Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	s2, err := live.Open(ctx, ScenarioInfo{Name: "b"})
	if err != nil {
		t.Fatal(err)
	}
	a1, _ := s1.Subscriber("1001")
	a1again, _ := s1.Subscriber("1001")
	a2, _ := s1.Subscriber("1002")
	b1, _ := s2.Subscriber("1001")
	if a1 != a1again || a1.Number == a2.Number || b1.Number == a1.Number || b1.Number == a2.Number || a1.Password != "pw"+a1.Number {
		t.Fatalf("allocation: %v %v %v %v", a1, a1again, a2, b1)
	}
	if _, err := s2.Subscriber("1002"); !errors.Is(err, ErrNoSubscriber) {
		t.Fatalf("pool of 3 gave a 4th number: %v", err)
	}
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	if b2, err := s2.Subscriber("1002"); err != nil || (b2.Number != a1.Number && b2.Number != a2.Number) {
		t.Fatalf("released numbers not reused: %v %v", b2, err)
	}
	if err := s2.Configure(func(*config.Config) {}); !errors.Is(err, ErrNotConfigurable) {
		t.Fatalf("live configure: %v", err)
	}
	if _, err := (&Live{Addr: "not an address", Password: live.Password}).Open(ctx, ScenarioInfo{}); err == nil {
		t.Fatal("bad address accepted")
	}
}

func TestSIPMessagesOf(t *testing.T) {
	var buf bytes.Buffer
	w, err := pcapio.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	a, b := netip.MustParseAddrPort("127.0.0.1:5999"), netip.MustParseAddrPort("127.0.0.1:5060")
	w.UDP(a, b, []byte(testInvite))
	w.UDP(a, b, []byte{0x80, 0x00, 0x01, 0x02, 1, 2, 3, 4, 5, 6, 7, 8}) // RTP
	w.TCP(b, a, []byte(testCancel[:40]))
	w.TCP(b, a, []byte(testCancel[40:]+testAck))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	msgs, err := sipMessagesOf(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range msgs {
		got = append(got, string(m.Msg.(*sip.Request).Method)+" "+m.Src.String())
	}
	want := []string{"INVITE 127.0.0.1:5999", "CANCEL 127.0.0.1:5060", "ACK 127.0.0.1:5060"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}
