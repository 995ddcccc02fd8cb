package call

import (
	"fmt"
	"strconv"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/clock"
	"pbxlab/pbx/internal/cdr"
	"pbxlab/pbx/internal/sipx"
)

// Session timers (RFC 4028), per leg. Every leg negotiates its own session
// interval and refresher with its own peer, whatever the other leg does:
//
//   - the caller's leg (the PBX is UAS, §9): a Session-Expires below the
//     leg's Min-SE gets 422 with Min-SE when the caller supports timers;
//     the 2xx carries Session-Expires with the refresher (the caller's
//     choice, else SessionTimer.Refresher; the PBX when the caller lacks
//     "Supported: timer") and Require: timer when the caller supports it;
//     without Session-Expires in the INVITE the PBX adds one only when its
//     own Expires is set, and then refreshes itself unless the caller
//     supports timers and the policy prefers the peer;
//   - a callee's leg (the PBX is UAC, §7): the INVITE carries Supported:
//     timer, Session-Expires and Min-SE when Expires is set; a 422 is
//     answered by one new INVITE with the 422's Min-SE (§7.4); the 2xx's
//     Session-Expires sets the interval and refresher (none: no timer);
//   - refresh (§7.4, §10): the PBX, when it refreshes, sends at half the
//     interval an UPDATE without SDP if the peer allows UPDATE, else a
//     re-INVITE that resends the last SDP the PBX sent on the leg (same
//     o= version: no change, RFC 3264 §8); 491 on the re-INVITE is retried
//     after the §14.1 window (glareDelay); a 422 once with its Min-SE; 408,
//     481 or no answer ends the call with BYE and a CDR reason;
//   - a refresh from the peer: an UPDATE without SDP is answered by the
//     PBX itself (nothing crosses to the other leg); a re-INVITE or an
//     UPDATE with SDP is relayed as before and its 2xx refreshes both
//     legs (each answered with its own Session-Expires);
//   - expiry (§10): when no successful refresh came by the interval minus
//     min(32 s, interval/3), the PBX BYEs every leg of the call and records
//     "session timer expired" as the CDR's reason.

// SessionTimer are a leg's session-timer settings (config's
// sip.session_timers, overridden per subscriber or peer).
type SessionTimer struct {
	// Expires is the interval the PBX asks for (0: none; it still honours
	// a peer's).
	Expires time.Duration
	// MinSE is the smallest interval the PBX accepts (≥ 90 s, §4).
	MinSE time.Duration
	// Refresher is who refreshes when the PBX chooses.
	Refresher Refresher
}

// Refresher is who the PBX wants to refresh a session.
type Refresher uint8

// Refresher values.
const (
	// RefresherAuto: a peer that supports timers when it asked to (the
	// RFC's usual refresher=uac), else the PBX.
	RefresherAuto Refresher = iota
	// RefresherPBX: the PBX whenever it may choose.
	RefresherPBX
	// RefresherPeer: the peer whenever it supports timers.
	RefresherPeer
)

// minSessionInterval is RFC 4028 §4's floor for Min-SE.
const minSessionInterval = 90 * time.Second

// WithSessionTimer sets the session-timer settings of legs whose caller or
// target brings none.
func WithSessionTimer(st SessionTimer) Option {
	return func(m *Manager) { m.st = st.normal() }
}

func (st SessionTimer) normal() SessionTimer {
	st.MinSE = max(st.MinSE, minSessionInterval)
	if st.Expires != 0 {
		st.Expires = max(st.Expires, st.MinSE)
	}
	return st
}

// timerFor is the settings of a leg: the policy's, else the manager's.
func (m *Manager) timerFor(st *SessionTimer) SessionTimer {
	if st != nil {
		return st.normal()
	}
	return m.st
}

// legTimer is a leg's session-timer state; the leg's executor owns it.
type legTimer struct {
	cfg SessionTimer
	// interval is the negotiated session interval, 0 while none.
	interval time.Duration
	// pbxRefreshes: the PBX is the refresher, else the peer is.
	pbxRefreshes bool
	// peerTimer: the peer said Supported: timer; peerUpdate: it allows UPDATE.
	peerTimer, peerUpdate bool
	// sdp is the last SDP the PBX sent on the leg (a refresh re-INVITE
	// sends it again).
	sdp []byte
	// retried422: the leg's INVITE was already sent again after a 422.
	retried422 bool
	// refreshing: a refresh the PBX sent is out.
	refreshing bool

	refresh, expire clock.Timer
}

func newLegTimer(cfg SessionTimer) *legTimer { return &legTimer{cfg: cfg} }

// forSibling is the state of a sibling leg (another To tag of the INVITE):
// the settings, nothing negotiated.
func (t *legTimer) forSibling() *legTimer {
	if t == nil {
		return nil
	}
	return &legTimer{cfg: t.cfg, retried422: t.retried422}
}

func (t *legTimer) stop() {
	if t == nil {
		return
	}
	for _, tm := range []clock.Timer{t.refresh, t.expire} {
		if tm != nil {
			tm.Stop()
		}
	}
	t.refresh, t.expire = nil, nil
}

// noteSDP remembers the SDP the PBX sends on l (media.go calls it).
func (l *Leg) noteSDP(sdp []byte) {
	if l.st != nil && len(sdp) > 0 {
		l.st.sdp = append([]byte(nil), sdp...)
	}
}

// SessionInterval is the leg's negotiated session interval (0: none) and
// whether the PBX refreshes it.
func (l *Leg) SessionInterval() (time.Duration, bool) {
	if l.st == nil {
		return 0, false
	}
	return l.st.interval, l.st.pbxRefreshes
}

// expiryAfter is when a session of interval i ends without refresh (§10):
// i minus min(32 s, i/3).
func expiryAfter(i time.Duration) time.Duration { return i - min(32*time.Second, i/3) }

// checkTimerRequest checks the session-timer headers of a request the PBX
// receives (an INVITE, a re-INVITE, an UPDATE): malformed → 400; a
// Session-Expires below cfg's Min-SE from a peer that supports timers →
// 422 with Min-SE (§8.1, §9).
func checkTimerRequest(req *sip.Request, cfg SessionTimer) (timerHeaders, error) {
	th, err := readTimerHeaders(req)
	if err != nil {
		return th, &sipx.StatusError{Code: 400, Reason: "Bad Session-Expires Or Min-SE", Err: err}
	}
	if th.se != nil && th.se.delta < cfg.MinSE && th.supported {
		return th, sipx.Status(422, "Session Interval Too Small", sip.NewHeader("Min-SE", secs(cfg.MinSE)))
	}
	return th, nil
}

func secs(d time.Duration) string { return strconv.FormatInt(int64(d/time.Second), 10) }

// CheckSessionTimer is the INVITE check of a new call, run once the caller
// is known (its settings may be its own).
func (m *Manager) checkSessionTimer(req *sip.Request, caller Caller) error {
	_, err := checkTimerRequest(req, m.timerFor(caller.SessionTimer))
	return err
}

// timerAnswer negotiates the session timer of a request the PBX answers
// 2xx on leg l as UAS (§9) and adds the headers to res; the leg's timer
// restarts. Requests other than INVITE and UPDATE are left alone.
func (c *Call) timerAnswer(l *Leg, req *sip.Request, res *sip.Response) {
	if l.st == nil || (req.Method != sip.INVITE && req.Method != sip.UPDATE) {
		return
	}
	t := l.st
	th, err := readTimerHeaders(req)
	if err != nil {
		return // checked before: not reached
	}
	t.peerTimer = th.supported
	if req.Method == sip.INVITE {
		t.peerUpdate = th.update
	}
	var interval time.Duration
	refresher := ""
	switch {
	case th.se != nil:
		interval = max(th.se.delta, t.cfg.MinSE, th.minSE)
		refresher = th.se.refresher
	case t.interval != 0:
		interval = max(t.interval, th.minSE) // a refresh that repeats none: keep ours
		if t.pbxRefreshes {
			refresher = "uas"
		}
	case t.cfg.Expires != 0:
		interval = max(t.cfg.Expires, th.minSE)
	default:
		t.interval = 0
		t.stop()
		return
	}
	if refresher == "" {
		refresher = "uas"
		if th.supported && (t.cfg.Refresher == RefresherPeer || (t.cfg.Refresher == RefresherAuto && th.se != nil)) {
			refresher = "uac"
		}
	}
	if !th.supported {
		refresher = "uas" // a peer without the extension cannot be the refresher
	}
	t.interval, t.pbxRefreshes = interval, refresher == "uas"
	res.RemoveHeader("Session-Expires")
	res.AppendHeader(sip.NewHeader("Session-Expires", secs(interval)+";refresher="+refresher))
	if th.supported && !hasToken(res, "Require", "timer") {
		res.AppendHeader(sip.NewHeader("Require", "timer"))
	}
	c.armTimer(l)
}

// timerOffer sets up a leg the PBX originates and adds the INVITE's
// session-timer headers (§7.1).
func (c *Call) timerOffer(l *Leg, st *SessionTimer, inv *sip.Request) {
	l.st = newLegTimer(c.m.timerFor(st))
	l.noteSDP(inv.Body()) // the offer crossed the seam before the leg had st
	if l.st.cfg.Expires == 0 {
		return
	}
	c.timerRequestHeaders(l, inv, l.st.cfg.Expires)
}

// timerRequestHeaders adds Supported, Session-Expires and Min-SE to a
// request the PBX sends on l with session interval i (§7.1, §7.4): the
// refresher is named from the PBX's side of the transaction.
func (c *Call) timerRequestHeaders(l *Leg, req *sip.Request, i time.Duration) {
	t := l.st
	se := secs(i)
	switch {
	case t.interval != 0 && t.pbxRefreshes, t.interval == 0 && t.cfg.Refresher == RefresherPBX:
		se += ";refresher=uac"
	case t.interval != 0, t.cfg.Refresher == RefresherPeer:
		se += ";refresher=uas"
	}
	req.RemoveHeader("Session-Expires")
	req.RemoveHeader("Min-SE")
	addSupported(req, "timer")
	req.AppendHeader(sip.NewHeader("Session-Expires", se))
	req.AppendHeader(sip.NewHeader("Min-SE", secs(t.cfg.MinSE)))
}

// timerRelayOut adds l's session-timer headers to a request relayed onto l
// while l has a session timer (the request refreshes it, §7.4).
func (c *Call) timerRelayOut(l *Leg, req *sip.Request) {
	if l.st != nil && l.st.interval != 0 && (req.Method == sip.INVITE || req.Method == sip.UPDATE) {
		c.timerRequestHeaders(l, req, l.st.interval)
	}
}

// timerFrom2xx takes the session timer from a 2xx to an INVITE or UPDATE
// the PBX sent on l (§7.2): its Session-Expires sets interval and
// refresher; none means no session timer on the leg.
func (c *Call) timerFrom2xx(l *Leg, res *sip.Response) {
	t := l.st
	if t == nil || res.CSeq() == nil || (res.CSeq().MethodName != sip.INVITE && res.CSeq().MethodName != sip.UPDATE) {
		return
	}
	th, err := readTimerHeaders(res)
	if res.CSeq().MethodName == sip.INVITE {
		t.peerUpdate = th.update
		t.peerTimer = th.supported
	}
	if err != nil {
		c.log.Warn("session timer: bad Session-Expires in 2xx, none used", "leg", l.id, "error", err)
		th.se = nil
	}
	if th.se == nil {
		t.interval = 0
		t.stop()
		return
	}
	t.interval = max(th.se.delta, minSessionInterval)
	t.pbxRefreshes = th.se.refresher != "uas"
	c.armTimer(l)
}

// armTimer (re)starts l's timers: the refresh at half the interval when
// the PBX refreshes (§7.4), the expiry in any case (§10).
func (c *Call) armTimer(l *Leg) {
	t := l.st
	t.stop()
	if t.interval == 0 {
		return
	}
	i := t.interval
	c.log.Debug("session timer", "leg", l.id, "interval", i, "pbx_refreshes", t.pbxRefreshes)
	if t.pbxRefreshes {
		t.refresh = c.after(i/2, func() { c.refreshSession(l, false) })
	}
	var exp clock.Timer
	exp = c.after(expiryAfter(i), func() {
		if t.expire == exp {
			c.sessionExpired(l)
		}
	})
	t.expire = exp
}

// sessionExpired ends the call whose leg l had no refresh in time (§10).
func (c *Call) sessionExpired(l *Leg) {
	if c.phase != phaseAnswered || !l.state.Up() {
		return
	}
	i := l.st.interval
	if l.detached {
		c.endDetached(l, fmt.Sprintf("session timer expired (leg %s, interval %s)", l.id, i)) // detach.go
		return
	}
	c.log.Warn("session timer expired: no refresh, ending the call", "leg", l.id, "interval", i,
		"pbx_refreshes", l.st.pbxRefreshes, "error", ErrSessionExpired)
	c.endSession(nil, fmt.Sprintf("session timer expired (leg %s, interval %s)", l.id, i))
}

// endSession records why and BYEs every leg that is up but skip.
func (c *Call) endSession(skip *Leg, why string) {
	legs := c.upLegs()
	c.finish(cdr.Answered, 200, why)
	for _, x := range legs {
		x.st.stop()
		if x == skip {
			x.event(EvEnd)
			continue
		}
		c.endLeg(x, nil)
	}
}

// stopTimers stops every leg's session timer (the call ended).
func (c *Call) stopTimers() {
	for _, l := range c.legs {
		l.st.stop()
	}
}

// refreshSession sends the PBX's refresh on l (§7.4, §10). minSE, after a
// 422, is the interval to ask for.
func (c *Call) refreshSession(l *Leg, retry bool) {
	t := l.st
	if c.phase != phaseAnswered || !l.state.Up() || l.byeSent || t.interval == 0 || t.refreshing {
		return
	}
	if l.inv != nil || l.outInvite {
		// a re-INVITE is under way on the dialog: its success refreshes
		// the session; if it fails, the expiry ends the call
		return
	}
	t.refreshing = true
	done := func(res *sip.Response, err error) {
		t.refreshing = false
		c.refreshed(l, res, err, retry)
	}
	if t.peerUpdate || len(t.sdp) == 0 {
		out := l.request(c.m.deps.Token, sip.UPDATE, l.nextSeq(), nil, "", -1)
		c.timerRequestHeaders(l, out, t.interval)
		c.log.Debug("session refresh", "leg", l.id, "method", "UPDATE")
		c.sendRequest(l, out, done)
		return
	}
	c.log.Debug("session refresh", "leg", l.id, "method", "INVITE")
	c.reinviteWith(l, t.sdp, func(req *sip.Request) { c.timerRequestHeaders(l, req, t.interval) }, done)
}

// refreshed takes the final response to the PBX's refresh on l.
func (c *Call) refreshed(l *Leg, res *sip.Response, err error, retried bool) {
	if c.phase != phaseAnswered || !l.state.Up() {
		return
	}
	t := l.st
	code := 408
	if err == nil {
		code = res.StatusCode
	}
	switch {
	case code >= 200 && code < 300:
		c.timerFrom2xx(l, res)
	case code == 422 && !retried:
		// §7.4: ask again with at least the peer's Min-SE
		if th, herr := readTimerHeaders(res); herr == nil && th.minSE > 0 {
			t.interval = max(t.interval, th.minSE)
		}
		c.refreshSession(l, true)
	case code == 491 && res != nil && res.CSeq() != nil && res.CSeq().MethodName == sip.UPDATE:
		// glare on an UPDATE refresh (RFC 3311 §5.1 → RFC 3261 §14.1's
		// windows); a re-INVITE refresh was retried by reinviteTry already
		c.after(glareDelay(l), func() { c.refreshSession(l, retried) })
	case code == 408 || code == 481:
		c.log.Warn("session refresh failed: ending the call", "leg", l.id, "status", code, "error", err)
		skip := (*Leg)(nil)
		if code == 481 {
			skip = l // the dialog is gone there (RFC 3261 §12.2.1.2)
		}
		c.endSession(skip, fmt.Sprintf("session refresh failed (leg %s, %d)", l.id, code))
	default:
		// another refusal (491 after its retries, 500 ...): the session
		// runs on until the expiry, which ends the call if nothing else
		// refreshes it
		c.log.Info("session refresh refused", "leg", l.id, "status", code)
	}
}

// timerInDialog checks the session-timer headers of a re-INVITE or UPDATE
// from l's peer and answers locally an UPDATE without SDP that refreshes
// l's session; it reports whether the request is answered.
func (c *Call) timerInDialog(l *Leg, in *inbound) bool {
	req := in.req
	if l.st == nil || (req.Method != sip.INVITE && req.Method != sip.UPDATE) {
		return false
	}
	th, err := checkTimerRequest(req, l.st.cfg)
	if err != nil {
		c.log.Info("session timer: request refused", "leg", l.id, "method", req.Method, "error", err)
		in.fail(c, err)
		return true
	}
	if req.Method != sip.UPDATE || len(req.Body()) > 0 || (th.se == nil && l.st.interval == 0) || c.phase != phaseAnswered {
		return false
	}
	// an UPDATE without SDP: a session refresh (and target refresh) of
	// this leg alone, answered here (RFC 3311 §5.2, RFC 4028 §9)
	l.refreshTarget(req)
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	res.AppendHeader(l.via.Contact(l.contactUser))
	c.timerAnswer(l, req, res)
	in.reply(c, res)
	return true
}

// retry422 answers a 422 to the INVITE of branch b (§7.4): the INVITE is
// sent once more, with a new CSeq, with the 422's Min-SE as Min-SE and as
// the least Session-Expires. It reports false when it does not apply (the
// 422 then counts as the branch's final response).
func (c *Call) retry422(b *branch, res *sip.Response) bool {
	l := b.legs[0]
	t := l.st
	if t == nil || t.retried422 || b.invite.GetHeader("Session-Expires") == nil || b.cancelPending || b.cancelSent || b.final != nil || c.phase == phaseEnded {
		return false
	}
	th, err := readTimerHeaders(res)
	if err != nil || th.minSE == 0 {
		return false
	}
	t.retried422 = true
	l.remoteTag, l.routeSet = "", nil // a new INVITE: no early dialog yet
	t.cfg.MinSE = max(t.cfg.MinSE, th.minSE)
	t.cfg.Expires = max(t.cfg.Expires, th.minSE)
	old := b.invite
	mf := 70
	if h := old.MaxForwards(); h != nil {
		mf = int(h.Val())
	}
	inv := l.request(c.m.deps.Token, sip.INVITE, l.nextSeq(), old.Body(), contentType(old), mf)
	for _, name := range []string{"Diversion", "History-Info"} {
		for _, h := range old.GetHeaders(name) {
			inv.AppendHeader(sip.HeaderClone(h))
		}
	}
	c.timerRequestHeaders(l, inv, t.cfg.Expires)
	c.log.Info("session timer: 422, INVITE sent again", "leg", l.id, "min_se", th.minSE)
	b.invite, b.provisional = inv, false
	c.m.pool.Go(func() { c.runBranch(b) }) // a grown stack: sipgo and the send path run on it
	return true
}

// addSupported adds an option tag to req's Supported header (one header:
// 100rel and timer side by side), unless it is listed already.
func addSupported(req *sip.Request, tag string) {
	h := req.GetHeader("Supported")
	if h == nil {
		req.AppendHeader(sip.NewHeader("Supported", tag))
		return
	}
	if hasToken(req, "Supported", tag) {
		return
	}
	v := h.Value()
	req.RemoveHeader("Supported")
	req.AppendHeader(sip.NewHeader("Supported", v+", "+tag))
}
