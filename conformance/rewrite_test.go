package conformance

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestRewriteTopVia(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string // substring of the result
		old     Rewrite
		wantErr error
	}{
		{
			name: "plain",
			in:   "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx\r\nVia: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKy\r\n\r\n",
			want: "Via: SIP/2.0/TCP 127.0.0.1:4000;branch=z9hG4bKx\r\nVia: SIP/2.0/UDP 192.0.2.9;",
			old:  Rewrite{OldTransport: "UDP", OldSentBy: "192.0.2.1"},
		},
		{
			name: "folded wsinv style",
			in:   "INVITE sip:a@b SIP/2.0\r\nVia  : SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw\r\ns :\r\n\r\n",
			want: "Via  : SIP  /   2.0\r\n /TCP\r\n    127.0.0.1:4000;branch=390skdjuw\r\n",
			old:  Rewrite{OldTransport: "UDP", OldSentBy: "192.0.2.2"},
		},
		{
			name: "compact form, port with LWS",
			in:   "OPTIONS sip:a@b SIP/2.0\r\nTo: <sip:a@b>\r\nv: SIP/2.0/SCTP host.example.com : 5070 ;branch=z9hG4bKa\r\n\r\n",
			want: "v: SIP/2.0/TCP 127.0.0.1:4000 ;branch=z9hG4bKa",
			old:  Rewrite{OldTransport: "SCTP", OldSentBy: "host.example.com : 5070"},
		},
		{
			name: "no parameters",
			in:   "INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP iftgw.example.com\r\nFrom: <sip:c@d>\r\n\r\n",
			want: "Via: SIP/2.0/TCP 127.0.0.1:4000\r\nFrom",
			old:  Rewrite{OldTransport: "UDP", OldSentBy: "iftgw.example.com"},
		},
		{
			name: "IPv6 reference, bare LF",
			in:   "REGISTER sip:[2001:db8::10] SIP/2.0\nVia: SIP/2.0/UDP [2001:db8::9:1]:6050;received=[2001:db8::9:255];branch=z9hG4bKas3\n\n",
			want: "Via: SIP/2.0/TCP 127.0.0.1:4000;received=[2001:db8::9:255];branch=z9hG4bKas3\n",
			old:  Rewrite{OldTransport: "UDP", OldSentBy: "[2001:db8::9:1]:6050"},
		},
		{
			name:    "no Via",
			in:      "INVITE sip:a@b SIP/2.0\r\nTo: <sip:a@b>\r\n\r\nVia: SIP/2.0/UDP in.body\r\n",
			wantErr: ErrNoVia,
		},
		{
			name:    "unparseable Via",
			in:      "INVITE sip:a@b SIP/2.0\r\nVia: ;;,;,,\r\n\r\n",
			wantErr: ErrNoVia,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			out, rw, err := RewriteTopVia(in, "TCP", "127.0.0.1:4000")
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err %v, want %v", err, tt.wantErr)
			}
			if string(in) != tt.in {
				t.Fatal("input modified")
			}
			if err != nil {
				return
			}
			if !strings.Contains(string(out), tt.want) {
				t.Errorf("got\n%q\nwant it to contain\n%q", out, tt.want)
			}
			if rw.OldTransport != tt.old.OldTransport || rw.OldSentBy != tt.old.OldSentBy {
				t.Errorf("rewrite %+v, want old %+v", rw, tt.old)
			}
			if !strings.Contains(rw.String(), "127.0.0.1:4000") {
				t.Errorf("description %q does not name the new sent-by", rw)
			}
		})
	}
}

// TestRewriteTopViaCorpus rewrites every request of both corpora and checks
// that only the top Via changed (the inverse rewrite restores the bytes).
func TestRewriteTopViaCorpus(t *testing.T) {
	noVia := map[string]bool{"test": true}
	for _, m := range loadAll(t) {
		if m.IsResponse() {
			continue
		}
		out, rw, err := RewriteTopVia(m.Data, "UDP", "127.0.0.1:40000")
		if noVia[m.Name] {
			if err == nil {
				t.Errorf("%s: rewrote %s, want ErrNoVia", m.ID(), rw)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", m.ID(), err)
			continue
		}
		back, _, err := RewriteTopVia(out, rw.OldTransport, rw.OldSentBy)
		if err != nil || !bytes.Equal(back, m.Data) {
			t.Errorf("%s: inverse rewrite does not restore the message (%v)", m.ID(), err)
		}
	}
}

func FuzzRewriteTopVia(f *testing.F) {
	f.Add([]byte("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx\r\n\r\n"))
	f.Add([]byte("INVITE sip:a@b SIP/2.0\r\nVia  : SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw\r\n\r\n"))
	f.Add([]byte("R s SIP/2.0\nv:SIP/2.0/UDP [::1]:5\n\n"))
	f.Add([]byte("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP\r\n"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		orig := append([]byte(nil), msg...)
		out, rw, err := RewriteTopVia(msg, "TCP", "127.0.0.1:4000")
		if !bytes.Equal(msg, orig) {
			t.Fatal("input modified")
		}
		if err != nil {
			return
		}
		if !bytes.Contains(out, []byte("127.0.0.1:4000")) {
			t.Fatalf("sent-by not written: %q", out)
		}
		back, _, err := RewriteTopVia(out, rw.OldTransport, rw.OldSentBy)
		if err != nil {
			t.Fatalf("rewritten message no longer rewritable: %v\n%q", err, out)
		}
		if !bytes.Equal(back, msg) {
			t.Fatalf("inverse rewrite differs:\n%q\n%q", back, msg)
		}
	})
}
