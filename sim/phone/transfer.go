package phone

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// Call transfer from a phone (RFC 3515 REFER, RFC 5589): a blind transfer
// (Transfer), an attended one (TransferTo: Refer-To with Replaces, RFC
// 3891), and an INVITE that replaces a dialog (DialReplacing). The PBX's
// NOTIFYs of the REFER's implicit subscription are answered 200 and kept:
// Transfer returns the status of the final one's message/sipfrag.

// ErrRefer: the REFER was refused, or its subscription ended without a
// final status.
var ErrRefer = errors.New("transfer refused")

// DialogID returns the call's dialog as a Replaces header names it (RFC
// 3891 §6.1) from this phone's side: Call-ID, the far end's tag (to-tag,
// the tag of the UA that receives the Replaces; of the early dialog while
// an outgoing call rings) and this phone's tag.
func (c *Call) DialogID() (callID, remoteTag, localTag string) {
	_, localTag, _ = strings.Cut(c.key, "|")
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dir == Outgoing {
		if c.uac != nil && c.uac.to != nil {
			remoteTag, _ = c.uac.to.Params.Get("tag")
		} else {
			remoteTag = c.earlyTag // still ringing: the early dialog (RFC 3891 §3)
		}
	} else if c.dss != nil {
		remoteTag, _ = c.dss.InviteRequest.From().Params.Get("tag")
	}
	return c.callID, remoteTag, localTag
}

// ReplacesValue is the Replaces header value naming the call's dialog.
func (c *Call) ReplacesValue() string {
	id, remote, local := c.DialogID()
	return fmt.Sprintf("%s;to-tag=%s;from-tag=%s", id, remote, local)
}

// Transfer sends a blind transfer of the far end to number (REFER with
// Refer-To sip:number@domain) and waits for the transfer's outcome: the
// status of the final NOTIFY's sipfrag (200 when the far end was connected
// with number, 486 when number was busy, ...). A REFER the far end refuses
// returns its status and ErrRefer.
func (c *Call) Transfer(ctx context.Context, number string) (int, error) {
	return c.refer(ctx, "<"+c.agent.uriString(number)+">")
}

// TransferTo sends an attended transfer: the far end of c is to be
// connected with the far end of other (both calls of this phone through
// the same PBX): REFER in c's dialog with Refer-To naming other's far end
// and, in Replaces, other's dialog.
func (c *Call) TransferTo(ctx context.Context, other *Call) (int, error) {
	return c.refer(ctx, "<"+c.agent.uriString(other.Remote())+"?Replaces="+url.QueryEscape(other.ReplacesValue())+">")
}

// ReferRaw sends a REFER with the given Refer-To value ("" for none) and
// waits as Transfer does.
func (c *Call) ReferRaw(ctx context.Context, referTo string) (int, error) {
	return c.refer(ctx, referTo)
}

func (c *Call) refer(ctx context.Context, referTo string) (int, error) {
	a := c.agent
	s := &Subscription{p: c.phone, event: "refer", callID: c.callID, changed: make(chan struct{})}
	a.events.mu.Lock()
	a.events.init()
	a.events.subs[c.key] = s
	a.events.mu.Unlock()
	defer func() {
		a.events.mu.Lock()
		if a.events.subs[c.key] == s {
			delete(a.events.subs, c.key)
		}
		a.events.mu.Unlock()
	}()
	var hdrs []sip.Header
	if referTo != "" {
		hdrs = append(hdrs, sip.NewHeader("Refer-To", referTo))
	}
	hdrs = append(hdrs, sip.NewHeader("Referred-By", "<"+a.uriString(c.phone.cfg.Number)+">"))
	res, err := c.inDialogRequest(ctx, sip.REFER, nil, hdrs)
	if err != nil {
		return 0, fmt.Errorf("refer %s: %w", referTo, err)
	}
	if res.StatusCode != 202 && !res.IsSuccess() {
		return res.StatusCode, fmt.Errorf("refer %s: %d %s: %w", referTo, res.StatusCode, res.Reason, ErrRefer)
	}
	n, err := s.WaitNotify(ctx, Notify.Terminated)
	if err != nil {
		return 0, fmt.Errorf("refer %s: %w", referTo, err)
	}
	code, err := SipfragStatus(n.Body)
	if err != nil {
		return 0, fmt.Errorf("refer %s: %w", referTo, err)
	}
	return code, nil
}

// ReferNotifies returns the NOTIFYs of the call's REFER in progress.
func (c *Call) ReferNotifies() []Notify {
	a := c.agent
	a.events.mu.Lock()
	s := a.events.subs[c.key]
	a.events.mu.Unlock()
	if s == nil {
		return nil
	}
	return s.Notifies()
}

// SipfragStatus reads the status code of a message/sipfrag body's status
// line ("SIP/2.0 200 OK", RFC 3420).
func SipfragStatus(body []byte) (int, error) {
	line, _, _ := bytes.Cut(body, []byte("\n"))
	f := bytes.Fields(line)
	if len(f) < 2 || !strings.EqualFold(string(f[0]), "SIP/2.0") {
		return 0, fmt.Errorf("sipfrag %q: %w: no status line", body, ErrRefer)
	}
	code, err := strconv.Atoi(string(f[1]))
	if err != nil || code < 100 || code > 699 {
		return 0, fmt.Errorf("sipfrag %q: %w: bad status", body, ErrRefer)
	}
	return code, nil
}

// DialReplacing calls number through the Agent's Target with an INVITE
// that carries Replaces (RFC 3891 §3): replaces names the dialog to take
// over ("callid;to-tag=..;from-tag=..", see ReplacesValue).
func (p *Phone) DialReplacing(ctx context.Context, number, replaces string) (*Call, error) {
	a := p.agent
	if a.cfg.Target == "" {
		return nil, fmt.Errorf("dial %s: %w", number, ErrNoTarget)
	}
	return p.dialTo(ctx, a.aor(number), nil, number, a.cfg.Target, []sip.Header{sip.NewHeader("Replaces", replaces)})
}

// uriString is sip:user@domain as a string.
func (a *Agent) uriString(user string) string {
	u := a.aor(user)
	return u.String()
}
