package phone

import (
	"net/netip"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/dialoginfo"
	"pbxlab/internal/sipreg"
)

// FuzzGrantedExpires feeds REGISTER responses from the network to the code
// that reads the granted lifetime (Contact expires parameter, Expires header).
func FuzzGrantedExpires(f *testing.F) {
	f.Add([]byte("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK1\r\nContact: <sip:1000@127.0.0.1:5062>;expires=40\r\nContent-Length: 0\r\n\r\n"))
	f.Add([]byte("SIP/2.0 200 OK\r\nContact: <sip:1000@10.0.0.1:5062>;expires=99, <sip:1000@127.0.0.1:5062>;expires=abc\r\nExpires: 30\r\nContent-Length: 0\r\n\r\n"))
	f.Add([]byte("SIP/2.0 423 Interval Too Brief\r\nMin-Expires: -5\r\nContent-Length: 0\r\n\r\n"))
	f.Add([]byte("SIP/2.0 200 OK\r\nExpires: 99999999999999999999\r\n\r\n"))
	f.Add([]byte("SIP/2.0 200 OK\r\nExpires: 9223372036854775807\r\n\r\n"))
	a := &Agent{cfg: Config{Transport: UDP}, addr: netip.MustParseAddrPort("127.0.0.1:5062")}
	p := &Phone{agent: a, cfg: PhoneConfig{Number: "1000"}}
	parser := sip.NewParser()
	f.Fuzz(func(t *testing.T, data []byte) {
		msg, err := parser.ParseSIP(data)
		if err != nil {
			return
		}
		res, ok := msg.(*sip.Response)
		if !ok {
			return
		}
		const asked = time.Minute
		if got := p.grantedExpires(res, asked); got < 0 {
			t.Fatalf("negative lifetime %v", got)
		}
		if got := sipreg.HeaderSeconds(res, "Min-Expires"); got < 0 {
			t.Fatalf("negative Min-Expires %v", got)
		}
	})
}

// FuzzNotifyLine: a NOTIFY's dialog-info body comes from the network;
// reading it as a line state never panics, and a state read is one of
// RFC 4235's.
func FuzzNotifyLine(f *testing.F) {
	f.Add([]byte(`<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="2" state="full" entity="sip:1002@pbx"><dialog id="x" direction="recipient"><state>early</state></dialog></dialog-info>`))
	f.Add([]byte(`<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="0" state="partial" entity=""/>`))
	f.Add([]byte("<dialog-info><dialog"))
	f.Fuzz(func(t *testing.T, body []byte) {
		var n Notify
		n.Dialog, n.DialogErr = dialoginfo.Parse(body)
		l, ok := n.Line()
		if !ok {
			return
		}
		switch l.State {
		case dialoginfo.Trying, dialoginfo.Proceeding, dialoginfo.Early, dialoginfo.Confirmed, dialoginfo.Terminated:
		default:
			t.Fatalf("line state %q", l.State)
		}
	})
}
