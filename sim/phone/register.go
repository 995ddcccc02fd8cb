package phone

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/sipreg"
)

// Registration is the outcome of one REGISTER (RFC 3261 §10.2).
type Registration struct {
	// Code is the final status (200 on success; 0 when none arrived).
	Code   int
	Reason string
	// Expires is the lifetime the registrar granted (0 after Unregister or
	// on failure).
	Expires time.Duration
	// At is when the final response arrived (Agent clock).
	At time.Time
}

// Registration returns the outcome of the phone's last REGISTER.
func (p *Phone) Registration() Registration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.reg
}

// Register binds the phone's contact at the Agent's Target with digest
// authentication (MD5 or SHA-256, RFC 8760) and keeps it fresh: it
// re-registers at PhoneConfig.FirstRefresh of the granted lifetime (default
// half), then at half of each lifetime granted, on the Agent clock. A wrong
// password yields a *StatusError (401/403) matching ErrAuth.
func (p *Phone) Register(ctx context.Context) (Registration, error) {
	reg, err := p.register(ctx, p.cfg.Expires)
	if err == nil {
		p.mu.Lock()
		p.refreshing = true
		p.mu.Unlock()
		p.scheduleRefresh(firstRefresh(reg.Expires, p.cfg.FirstRefresh))
	}
	return reg, err
}

// firstRefresh is when the first refresh of a binding granted for expires
// is due: frac of it, or half when frac is not in (0, 1).
func firstRefresh(expires time.Duration, frac float64) time.Duration {
	if !(frac > 0 && frac < 1) { // NaN too
		return expires / 2
	}
	return time.Duration(float64(expires) * frac)
}

// Unregister removes the binding (Expires: 0, RFC 3261 §10.2.2) and stops refreshing.
func (p *Phone) Unregister(ctx context.Context) (Registration, error) {
	p.stopRefresh()
	return p.register(ctx, 0)
}

// lockReg takes the phone's one REGISTER slot, or gives up with ctx. It is
// a channel, not a sync.Mutex: a goroutine waiting on a channel is durably
// blocked in a testing/synctest bubble, so a refresh waiting behind a
// REGISTER whose request was lost lets virtual time reach the
// retransmission that completes it (a mutex there stalled the bubble).
func (p *Phone) lockReg(ctx context.Context) error {
	select {
	case p.regSem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *Phone) unlockReg() { <-p.regSem }

func (p *Phone) register(ctx context.Context, expires time.Duration) (Registration, error) {
	a := p.agent
	if a.cfg.Target == "" {
		return Registration{}, fmt.Errorf("register %s: %w", p.cfg.Number, ErrNoTarget)
	}
	if err := p.lockReg(ctx); err != nil {
		return Registration{}, fmt.Errorf("register %s: %w", p.cfg.Number, err)
	}
	defer p.unlockReg()

	req := p.newRegister(expires)
	res, err := a.do(ctx, req)
	if err == nil && (res.StatusCode == sip.StatusUnauthorized || res.StatusCode == sip.StatusProxyAuthRequired) && p.cfg.Password != "" {
		res, err = a.doDigest(ctx, req, res, sipgo.DigestAuth{Username: p.cfg.Username, Password: p.cfg.Password})
	}
	if err == nil && res.StatusCode == sip.StatusIntervalToBrief {
		// 423: retry once with the registrar's Min-Expires (RFC 3261 §10.2.8).
		if min := sipreg.HeaderSeconds(res, "Min-Expires"); min > 0 {
			p.setCSeq(req)
			req = p.newRegister(min)
			res, err = a.do(ctx, req)
			if err == nil && (res.StatusCode == sip.StatusUnauthorized || res.StatusCode == sip.StatusProxyAuthRequired) && p.cfg.Password != "" {
				res, err = a.doDigest(ctx, req, res, sipgo.DigestAuth{Username: p.cfg.Username, Password: p.cfg.Password})
			}
		}
	}
	p.setCSeq(req)
	if err != nil {
		reg := Registration{At: a.clock.Now()}
		p.setReg(reg)
		return reg, fmt.Errorf("register %s: %w", p.cfg.Number, err)
	}
	reg := Registration{Code: res.StatusCode, Reason: res.Reason, At: a.clock.Now()}
	if !res.IsSuccess() {
		p.setReg(reg)
		return reg, fmt.Errorf("register %s: %w", p.cfg.Number, &StatusError{Method: "REGISTER", Code: res.StatusCode, Reason: res.Reason})
	}
	if expires > 0 {
		reg.Expires = p.grantedExpires(res, expires)
	}
	p.setReg(reg)
	return reg, nil
}

func (p *Phone) newRegister(expires time.Duration) *sip.Request {
	a := p.agent
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: a.cfg.Domain})
	from := &sip.FromHeader{Address: a.aor(p.cfg.Number), Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	to := &sip.ToHeader{Address: a.aor(p.cfg.Number)}
	cid := sip.CallIDHeader(p.regCall)
	p.mu.Lock()
	p.cseq++
	seq := p.cseq
	p.mu.Unlock()
	contact := p.contactHeader()
	exp := sip.ExpiresHeader(uint32(expires / time.Second))
	req.AppendHeader(from)
	req.AppendHeader(to)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: seq, MethodName: sip.REGISTER})
	req.AppendHeader(&contact)
	req.AppendHeader(&exp)
	req.AppendHeader(sip.NewHeader("User-Agent", a.uaName))
	req.SetTransport(a.sipTransport)
	req.SetDestination(a.cfg.Target)
	return req
}

// setCSeq keeps our counter past what sipgo used (digest retries bump it).
func (p *Phone) setCSeq(req *sip.Request) {
	if h := req.CSeq(); h != nil {
		p.mu.Lock()
		p.cseq = max(p.cseq, h.SeqNo)
		p.mu.Unlock()
	}
}

func (p *Phone) setReg(r Registration) {
	p.mu.Lock()
	p.reg = r
	p.mu.Unlock()
}

// grantedExpires reads the lifetime of our binding from the 200 OK
// (sipreg.GrantedExpires: our Contact's expires, else Expires, else what
// we asked for).
func (p *Phone) grantedExpires(res *sip.Response, asked time.Duration) time.Duration {
	return sipreg.GrantedExpires(res, p.contactHeader().Address, asked)
}

// scheduleRefresh re-registers after d on the Agent clock.
func (p *Phone) scheduleRefresh(d time.Duration) {
	if d <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.refreshing {
		return
	}
	if p.refresh != nil {
		p.refresh.Stop()
	}
	p.refresh = p.agent.clock.AfterFunc(d, p.refreshNow)
}

func (p *Phone) stopRefresh() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refreshing = false
	if p.refresh != nil {
		p.refresh.Stop()
		p.refresh = nil
	}
}

// refreshNow runs on a timer goroutine.
func (p *Phone) refreshNow() {
	a := p.agent
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return
	}
	a.wg.Add(1)
	a.mu.Unlock()
	defer a.wg.Done()

	ctx, cancel := context.WithTimeout(a.ctx, requestTimeout)
	defer cancel()
	reg, err := p.register(ctx, p.cfg.Expires)
	if p.cfg.OnRegister != nil {
		p.cfg.OnRegister(reg, err)
	}
	if err != nil {
		a.log.Info("registration refresh failed", "number", p.cfg.Number, "error", err)
		p.scheduleRefresh(a.retry)
		return
	}
	p.scheduleRefresh(reg.Expires / 2)
}

// randomID is a Call-ID, tag or branch suffix: 96 random bits from the
// runtime's per-thread ChaCha8 generator (math/rand/v2), unique without a
// crypto/rand read per call (a simulator's identifiers need no secrecy;
// ~5 % of a generator's CPU per call went to crypto/rand).
func randomID() string {
	var b [12]byte
	binary.LittleEndian.PutUint64(b[:8], rand.Uint64())
	binary.LittleEndian.PutUint32(b[8:], rand.Uint32())
	return hex.EncodeToString(b[:])
}
