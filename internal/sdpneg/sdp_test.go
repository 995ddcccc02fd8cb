package sdpneg

import (
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// crlf turns a readable multi-line literal into an SDP body with CRLF endings.
func crlf(s string) []byte {
	s = strings.TrimLeft(s, "\n")
	return []byte(strings.ReplaceAll(s, "\n", "\r\n"))
}

var baresipOffer = crlf(`
v=0
o=- 1962472372 2170208442 IN IP4 192.168.1.66
s=-
c=IN IP4 192.168.1.66
t=0 0
a=tool:baresip 3.10.1
m=audio 10490 RTP/AVP 96 9 0 8 101
b=AS:128
a=rtpmap:96 opus/48000/2
a=fmtp:96 stereo=1;sprop-stereo=1
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=ptime:20
a=sendrecv
a=label:1
a=rtcp-rsize
a=ssrc:2816398236 cname:9c4c7a34-2d4f-4c1c-9b5d-3c1a0e4e3f2a
`)

var sippOffer = crlf(`
v=0
o=user1 53655765 2353687637 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio 6000 RTP/AVP 8 101
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-11,16
`)

var ipv6Offer = crlf(`
v=0
o=alice 2890844526 2890844527 IN IP6 2001:db8::1
s=-
t=0 0
m=video 51372 RTP/AVP 99
c=IN IP6 2001:db8::2
a=rtpmap:99 h263-1998/90000
m=audio 49170 RTP/AVP 0 97
c=IN IP6 2001:db8::1
a=recvonly
`)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		body []byte
		want *Session
		err  error
	}{
		{
			name: "baresip",
			body: baresipOffer,
			want: &Session{
				Origin:    Origin{Username: "-", SessID: 1962472372, SessVersion: 2170208442},
				Addr:      netip.MustParseAddrPort("192.168.1.66:10490"),
				Codecs:    []Codec{{96, "opus", 48000}, {9, "G722", 8000}, PCMU(), PCMA(), TelephoneEvent()},
				Direction: SendRecv, PTime: 20, Proto: "RTP/AVP",
			},
		},
		{
			name: "sipp",
			body: sippOffer,
			want: &Session{
				Origin:    Origin{Username: "user1", SessID: 53655765, SessVersion: 2353687637},
				Addr:      netip.MustParseAddrPort("127.0.0.1:6000"),
				Codecs:    []Codec{PCMA(), TelephoneEvent()},
				Direction: SendRecv, PTime: 20, Proto: "RTP/AVP",
			},
		},
		{
			name: "ipv6 media-level c= and static payload without rtpmap",
			body: ipv6Offer,
			want: &Session{
				Origin:    Origin{Username: "alice", SessID: 2890844526, SessVersion: 2890844527},
				Addr:      netip.MustParseAddrPort("[2001:db8::1]:49170"),
				Codecs:    []Codec{PCMU()}, // 97 has no rtpmap: left out
				Direction: RecvOnly, PTime: 20, Proto: "RTP/AVP",
			},
		},
		{
			name: "hold: session-level sendonly, c=0.0.0.0, ptime 30, LF endings",
			body: []byte("v=0\no=x 1 2 IN IP4 10.0.0.1\ns=-\nc=IN IP4 0.0.0.0\nt=0 0\na=sendonly\nm=audio 4000 RTP/AVP 8\na=ptime:30\n"),
			want: &Session{
				Origin:    Origin{Username: "x", SessID: 1, SessVersion: 2},
				Addr:      netip.MustParseAddrPort("0.0.0.0:4000"),
				Codecs:    []Codec{PCMA()},
				Direction: SendOnly, PTime: 30, Proto: "RTP/AVP",
			},
		},
		{name: "no audio", body: crlf("v=0\no=x 1 1 IN IP4 1.2.3.4\ns=-\nc=IN IP4 1.2.3.4\nt=0 0\nm=video 5000 RTP/AVP 96\n"), err: ErrNoAudio},
		{name: "no connection", body: crlf("v=0\no=x 1 1 IN IP4 1.2.3.4\ns=-\nt=0 0\nm=audio 5000 RTP/AVP 0\n"), err: ErrNoConnection},
		{name: "not sdp", body: []byte("hello world"), err: ErrMalformed},
		{name: "empty", body: nil, err: ErrMalformed},
		{name: "hostname in c=", body: crlf("v=0\no=x 1 1 IN IP4 1.2.3.4\ns=-\nc=IN IP4 pbx.example.com\nt=0 0\nm=audio 5000 RTP/AVP 0\n"), err: ErrMalformed},
		{name: "IP6 with v4 address", body: crlf("v=0\no=x 1 1 IN IP4 1.2.3.4\ns=-\nc=IN IP6 1.2.3.4\nt=0 0\nm=audio 5000 RTP/AVP 0\n"), err: ErrMalformed},
		{name: "bad payload type", body: crlf("v=0\no=x 1 1 IN IP4 1.2.3.4\ns=-\nc=IN IP4 1.2.3.4\nt=0 0\nm=audio 5000 RTP/AVP 200\n"), err: ErrMalformed},
		{name: "bad rtpmap", body: crlf("v=0\no=x 1 1 IN IP4 1.2.3.4\ns=-\nc=IN IP4 1.2.3.4\nt=0 0\nm=audio 5000 RTP/AVP 96\na=rtpmap:96 opus\n"), err: ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.body)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Parse error = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Parse =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestOfferRoundTrip(t *testing.T) {
	tests := []struct {
		name  string
		local netip.AddrPort
	}{
		{"ipv4", netip.MustParseAddrPort("127.0.0.1:40000")},
		{"ipv6", netip.MustParseAddrPort("[::1]:40002")},
		{"v4-mapped is written as IP4", netip.MustParseAddrPort("[::ffff:10.1.2.3]:40004")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Offer(tt.local, DefaultCodecs(), 42)
			if err != nil {
				t.Fatalf("Offer: %v", err)
			}
			s, err := Parse(b)
			if err != nil {
				t.Fatalf("Parse(Offer): %v\n%s", err, b)
			}
			wantAddr := netip.AddrPortFrom(tt.local.Addr().Unmap(), tt.local.Port())
			if s.Addr != wantAddr || s.Direction != SendRecv || s.PTime != 20 ||
				!reflect.DeepEqual(s.Codecs, DefaultCodecs()) || s.Origin.SessID != 42 {
				t.Fatalf("round trip = %+v\n%s", s, b)
			}
			if tt.local.Addr().Unmap().Is6() != strings.Contains(string(b), "IN IP6") {
				t.Fatalf("wrong address type in\n%s", b)
			}
			if !strings.Contains(string(b), "a=fmtp:101 0-16\r\n") {
				t.Fatalf("telephone-event fmtp missing in\n%s", b)
			}
		})
	}
	if _, err := Offer(netip.MustParseAddrPort("127.0.0.1:4000"), nil, 1); !errors.Is(err, ErrNoCodecs) {
		t.Fatalf("Offer without codecs: %v", err)
	}
	if _, err := Offer(netip.AddrPort{}, DefaultCodecs(), 1); !errors.Is(err, ErrMalformed) {
		t.Fatalf("Offer without address: %v", err)
	}
}

func TestAnswer(t *testing.T) {
	local := netip.MustParseAddrPort("10.0.0.5:20000")
	body := func(dir, fmts string, maps ...string) []byte {
		s := "v=0\no=x 1 1 IN IP4 10.0.0.9\ns=-\nc=IN IP4 10.0.0.9\nt=0 0\nm=audio 30000 RTP/AVP " + fmts + "\n"
		for _, m := range maps {
			s += "a=rtpmap:" + m + "\n"
		}
		if dir != "" {
			s += "a=" + dir + "\n"
		}
		return crlf(s)
	}
	tests := []struct {
		name      string
		offer     []byte
		supported []Codec
		codecs    []Codec
		dir       string
		err       error
	}{
		{name: "offerer order kept", offer: body("", "8 0 101", "101 telephone-event/8000"),
			supported: DefaultCodecs(), codecs: []Codec{PCMA(), PCMU(), TelephoneEvent()}, dir: SendRecv},
		{name: "offerer dynamic payload type kept", offer: body("", "0 96", "96 TELEPHONE-EVENT/8000"),
			supported: DefaultCodecs(), codecs: []Codec{PCMU(), {96, "TELEPHONE-EVENT", 8000}}, dir: SendRecv},
		{name: "sendonly mirrored", offer: body(SendOnly, "0"), supported: DefaultCodecs(), codecs: []Codec{PCMU()}, dir: RecvOnly},
		{name: "recvonly mirrored", offer: body(RecvOnly, "0"), supported: DefaultCodecs(), codecs: []Codec{PCMU()}, dir: SendOnly},
		{name: "inactive mirrored", offer: body(Inactive, "0"), supported: DefaultCodecs(), codecs: []Codec{PCMU()}, dir: Inactive},
		{name: "only PCMA supported", offer: baresipOffer, supported: []Codec{PCMA()}, codecs: []Codec{PCMA()}, dir: SendRecv},
		{name: "no common codec", offer: body("", "18 9"), supported: DefaultCodecs(), err: ErrNoCommonCodec},
		{name: "only telephone-event in common", offer: body("", "18 101", "101 telephone-event/8000"), supported: DefaultCodecs(), err: ErrNoCommonCodec},
		{name: "disabled stream", offer: crlf("v=0\no=x 1 1 IN IP4 1.2.3.4\ns=-\nc=IN IP4 1.2.3.4\nt=0 0\nm=audio 0 RTP/AVP 0\n"), supported: DefaultCodecs(), err: ErrNoAudio},
		{name: "SRTP refused", offer: crlf("v=0\no=x 1 1 IN IP4 1.2.3.4\ns=-\nc=IN IP4 1.2.3.4\nt=0 0\nm=audio 4000 RTP/SAVP 0\n"), supported: DefaultCodecs(), err: ErrUnsupportedProto},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			offer, err := Parse(tt.offer)
			if err != nil {
				t.Fatalf("Parse offer: %v", err)
			}
			b, neg, err := Answer(offer, local, tt.supported, 7)
			if accErr := Acceptable(tt.offer, tt.supported); !errors.Is(accErr, tt.err) || (tt.err == nil) != (accErr == nil) {
				t.Fatalf("Acceptable = %v, want %v", accErr, tt.err)
			}
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Answer error = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Answer: %v", err)
			}
			if !reflect.DeepEqual(neg.Codecs, tt.codecs) || neg.Direction != tt.dir || neg.Addr != offer.Addr {
				t.Fatalf("negotiated = %+v", neg)
			}
			ans, err := Parse(b)
			if err != nil {
				t.Fatalf("Parse answer: %v\n%s", err, b)
			}
			if ans.Addr != local || ans.Direction != tt.dir || !reflect.DeepEqual(ans.Codecs, tt.codecs) || ans.Origin.SessID != 7 {
				t.Fatalf("answer = %+v\n%s", ans, b)
			}
		})
	}
	if _, _, err := Answer(nil, local, DefaultCodecs(), 1); !errors.Is(err, ErrMalformed) {
		t.Fatalf("Answer(nil) = %v", err)
	}
}

func TestAcceptableErrors(t *testing.T) {
	tests := []struct {
		name string
		body []byte
		err  error
	}{
		{"baresip", baresipOffer, nil},
		{"sipp", sippOffer, nil},
		{"ipv6", ipv6Offer, nil},
		{"garbage", []byte("\x00\x01"), ErrMalformed},
		{"no audio", crlf("v=0\no=x 1 1 IN IP4 1.2.3.4\ns=-\nc=IN IP4 1.2.3.4\nt=0 0\n"), ErrNoAudio},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Acceptable(tt.body, DefaultCodecs())
			if (tt.err == nil) != (err == nil) || (tt.err != nil && !errors.Is(err, tt.err)) {
				t.Fatalf("Acceptable = %v, want %v", err, tt.err)
			}
		})
	}
}

func TestMirror(t *testing.T) {
	for in, want := range map[string]string{SendRecv: SendRecv, SendOnly: RecvOnly, RecvOnly: SendOnly, Inactive: Inactive, "": SendRecv} {
		if got := Mirror(in); got != want {
			t.Errorf("Mirror(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDeclineRejectsEveryStream(t *testing.T) {
	offer, err := Offer(netip.MustParseAddrPort("192.0.2.1:4000"), DefaultCodecs(), 7)
	if err != nil {
		t.Fatal(err)
	}
	ans, err := Decline(offer)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := Parse(ans); err != nil || s.Addr.Port() != 0 {
		t.Fatalf("declined answer keeps a live audio stream (%+v, %v):\n%s", s, err, ans)
	}
	if !strings.Contains(string(ans), "m=audio 0 RTP/AVP 0") {
		t.Errorf("answer does not reject the stream with port 0:\n%s", ans)
	}
	if _, err := Decline([]byte("not sdp")); !errors.Is(err, ErrMalformed) {
		t.Errorf("Decline(garbage) = %v, want ErrMalformed", err)
	}
}
