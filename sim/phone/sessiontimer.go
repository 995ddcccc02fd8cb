package phone

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/clock"
)

// SessionTimer are a phone's RFC 4028 session-timer settings
// (PhoneConfig.SessionTimer). A phone always supports the extension: it
// answers a caller's Session-Expires with its own (and Require: timer)
// and answers refreshes; these settings make it ask for a session timer
// and refresh.
type SessionTimer struct {
	// Expires is the session interval the phone's INVITEs ask for
	// (Session-Expires, with Supported: timer); 0 asks for none.
	Expires time.Duration
	// MinSE is sent as Min-SE on the phone's INVITEs when set.
	MinSE time.Duration
	// Refresher is who the phone's INVITEs ask to refresh: "uac" (the
	// phone), "uas" (the far end) or "" (the far end chooses).
	Refresher string
	// UseUpdate makes the phone's refreshes UPDATEs without SDP (RFC 3311);
	// otherwise they are re-INVITEs with its current SDP, unchanged.
	UseUpdate bool
	// NoRefresh makes the phone agree to be the refresher and then never
	// refresh (a broken phone: the far end must end the call).
	NoRefresh bool
}

// SetSessionTimer changes the session-timer settings (see
// PhoneConfig.SessionTimer) of calls started afterwards.
func (p *Phone) SetSessionTimer(st SessionTimer) {
	p.mu.Lock()
	p.st = &st
	p.mu.Unlock()
}

func (p *Phone) sessionTimer() SessionTimer {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.st != nil {
		return *p.st
	}
	return p.cfg.SessionTimer
}

// callTimer is the session timer of one call (RFC 4028).
type callTimer struct {
	mu        sync.Mutex
	interval  time.Duration
	weRefresh bool
	sent      int // refreshes the phone sent that got a 2xx
	received  int // refreshes of the far end the phone answered
	retried   bool
	timer     clock.Timer
}

// Session reports the call's negotiated session interval (0: none) and
// whether this phone is the refresher.
func (c *Call) Session() (time.Duration, bool) {
	c.st.mu.Lock()
	defer c.st.mu.Unlock()
	return c.st.interval, c.st.weRefresh
}

// Refreshes returns how many session refreshes this phone sent that were
// accepted, and how many of the far end's it answered.
func (c *Call) Refreshes() (sent, received int) {
	c.st.mu.Lock()
	defer c.st.mu.Unlock()
	return c.st.sent, c.st.received
}

// sessionExpires reads a Session-Expires value: seconds and refresher.
func sessionExpires(m sip.Message) (time.Duration, string, bool) {
	h := firstHeader(m, "Session-Expires", "x")
	if h == nil {
		return 0, "", false
	}
	parts := strings.Split(h.Value(), ";")
	n, err := strconv.ParseUint(strings.TrimSpace(parts[0]), 10, 32)
	if err != nil || n == 0 {
		return 0, "", false
	}
	refresher := ""
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(p, "=")
		if strings.EqualFold(strings.TrimSpace(k), "refresher") {
			refresher = strings.ToLower(strings.TrimSpace(v))
		}
	}
	return time.Duration(n) * time.Second, refresher, true
}

// minSE reads a Min-SE value in seconds (0: none).
func minSE(m sip.Message) time.Duration {
	h := firstHeader(m, "Min-SE")
	if h == nil {
		return 0
	}
	v, _, _ := strings.Cut(h.Value(), ";")
	n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32)
	if err != nil {
		return 0
	}
	return time.Duration(n) * time.Second
}

// firstHeader is m's first header of any of names.
func firstHeader(m sip.Message, names ...string) sip.Header {
	for _, n := range names {
		if hs := m.GetHeaders(n); len(hs) > 0 {
			return hs[0]
		}
	}
	return nil
}

func secs(d time.Duration) string { return strconv.FormatInt(int64(d/time.Second), 10) }

// timerHeaders adds the session-timer headers of the phone's INVITE.
func (p *Phone) timerHeaders(req *sip.Request, expires time.Duration) {
	st := p.sessionTimer()
	if expires == 0 {
		return
	}
	se := secs(expires)
	if st.Refresher != "" {
		se += ";refresher=" + st.Refresher
	}
	for _, n := range []string{"Supported", "Session-Expires", "Min-SE"} {
		req.RemoveHeader(n)
	}
	req.AppendHeader(sip.NewHeader("Supported", "timer"))
	req.AppendHeader(sip.NewHeader("Session-Expires", se))
	if min := max(st.MinSE, minSE(req)); min > 0 {
		req.AppendHeader(sip.NewHeader("Min-SE", secs(min)))
	}
}

// retry422 answers a 422 to the phone's INVITE (RFC 4028 §7.4): the same
// INVITE, CSeq raised, asking for the 422's Min-SE. It returns the new
// transaction, nil when it does not apply.
func (c *Call) retry422(req *sip.Request, res *sip.Response) sip.ClientTransaction {
	min := minSE(res)
	if c.st.retried || min == 0 || req.GetHeader("Session-Expires") == nil {
		return nil
	}
	c.st.retried = true
	c.phone.timerHeaders(req, min)
	req.RemoveHeader("Min-SE")
	req.AppendHeader(sip.NewHeader("Min-SE", secs(min)))
	req.CSeq().SeqNo++
	req.RemoveHeader("Via")
	ctx, cancel := context.WithTimeout(c.agent.ctx, requestTimeout)
	defer cancel()
	tx, err := c.agent.client.TransactionRequest(ctx, req, sipgo.ClientRequestAddVia)
	if err != nil {
		c.agent.log.Debug("422 retry failed", "call_id", c.callID, "error", err)
		return nil
	}
	return tx
}

// answerTimer adds to res, the phone's 2xx to an INVITE or UPDATE req,
// the session timer the request asked for (RFC 4028 §9: the phone takes
// the interval and refresher asked for, uac when none is named) and
// starts it; a request without Session-Expires gets none.
func (c *Call) answerTimer(req *sip.Request, res *sip.Response) {
	i, refresher, ok := sessionExpires(req)
	if !ok {
		return
	}
	if refresher == "" {
		refresher = "uac"
	}
	res.AppendHeader(sip.NewHeader("Session-Expires", secs(i)+";refresher="+refresher))
	res.AppendHeader(sip.NewHeader("Require", "timer"))
	c.startTimer(i, refresher == "uas")
}

// confirmTimer starts the session timer a 2xx to the phone's INVITE or
// refresh names (RFC 4028 §7.2).
func (c *Call) confirmTimer(res *sip.Response) {
	if i, refresher, ok := sessionExpires(res); ok {
		c.startTimer(i, refresher != "uas")
	}
}

// startTimer (re)arms the phone's refresh at half the interval when it is
// the refresher (RFC 4028 §10).
func (c *Call) startTimer(i time.Duration, weRefresh bool) {
	c.st.mu.Lock()
	defer c.st.mu.Unlock()
	c.st.interval, c.st.weRefresh = i, weRefresh
	if c.st.timer != nil {
		c.st.timer.Stop()
		c.st.timer = nil
	}
	if !weRefresh || c.phone.sessionTimer().NoRefresh {
		return
	}
	c.st.timer = c.agent.clock.AfterFunc(i/2, c.refresh)
}

// refresh sends the phone's session refresh: an UPDATE without SDP or a
// re-INVITE with the phone's current SDP (RFC 4028 §7.4).
func (c *Call) refresh() {
	a := c.agent
	if c.State() != Answered {
		return
	}
	a.background(func(ctx context.Context) {
		res, err := c.sendRefresh(ctx)
		if err == nil && res.IsSuccess() {
			c.st.mu.Lock()
			c.st.sent++
			c.st.mu.Unlock()
			c.confirmTimer(res)
			return
		}
		if err == nil {
			err = &StatusError{Method: "refresh", Code: res.StatusCode, Reason: res.Reason}
		}
		a.log.Info("session refresh failed", "call_id", c.callID, "error", err)
	})
}

func (c *Call) sendRefresh(ctx context.Context) (*sip.Response, error) {
	c.st.mu.Lock()
	i := c.st.interval
	c.st.mu.Unlock()
	c.mu.Lock()
	body := c.localSDP
	c.mu.Unlock()
	hdrs := []sip.Header{sip.NewHeader("Supported", "timer"), sip.NewHeader("Session-Expires", secs(i)+";refresher=uac")}
	if c.phone.sessionTimer().UseUpdate {
		return c.inDialogRequest(ctx, sip.UPDATE, nil, hdrs)
	}
	if c.dir == Outgoing {
		return c.uacReinviteWith(ctx, body, hdrs)
	}
	return c.uasReinviteWith(ctx, body, hdrs)
}

// inDialogRequest sends a non-INVITE request in the call's dialog.
func (c *Call) inDialogRequest(ctx context.Context, method sip.RequestMethod, body []byte, hdrs []sip.Header) (*sip.Response, error) {
	return c.inDialogRequestTyped(ctx, method, "application/sdp", body, hdrs)
}

// inDialogRequestTyped is inDialogRequest with a body of content type
// ctype (SIP INFO's application/dtmf-relay).
func (c *Call) inDialogRequestTyped(ctx context.Context, method sip.RequestMethod, ctype string, body []byte, hdrs []sip.Header) (*sip.Response, error) {
	var req *sip.Request
	if c.dir == Outgoing {
		c.mu.Lock()
		d := c.uac
		if d == nil {
			c.mu.Unlock()
			return nil, fmt.Errorf("%s: %w: no dialog", method, ErrCallState)
		}
		d.cseq++
		req = c.inDialog(d, method, d.cseq)
		c.mu.Unlock()
	} else {
		inv := c.dss.InviteRequest
		target := inv.Recipient
		if ct := inv.Contact(); ct != nil {
			target = ct.Address
		}
		req = sip.NewRequest(method, *target.Clone())
		req.SetTransport(inv.Transport())
	}
	contact := c.phone.contactHeader()
	req.AppendHeader(&contact)
	for _, h := range hdrs {
		req.AppendHeader(h)
	}
	if len(body) > 0 {
		req.AppendHeader(sip.NewHeader("Content-Type", ctype))
		req.SetBody(body)
	}
	if c.dir == Outgoing {
		return c.agent.do(ctx, req)
	}
	if err := c.agent.prepare(ctx, req); err != nil {
		return nil, err
	}
	return c.dss.Do(ctx, req)
}
