package call

import (
	"fmt"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// maxAuthTries bounds the authenticated re-sends of one branch's INVITE:
// one per challenge (RFC 3261 §22.2), and a second only when the new
// challenge says the first credentials were stale (RFC 7616 §3.3).
const maxAuthTries = 2

// challenged reports whether res, a final response to b's INVITE, is a
// 401/407 the branch answers with its target's credentials: then the
// authenticated INVITE is sent from the executor (authorize) and res is
// not the branch's outcome. It runs on the branch's goroutine.
func (c *Call) challenged(b *branch, res *sip.Response) bool {
	if b.target.Credentials == nil || res.StatusCode != 401 && res.StatusCode != 407 {
		return false
	}
	if b.auths >= maxAuthTries || b.auths == 1 && !staleChallenge(res) {
		return false // the credentials were refused
	}
	c.ex.post(func() { c.authorize(b, res) })
	return true
}

// authorize re-sends b's INVITE answering res's challenge (RFC 3261
// §22.2): same Call-ID, From tag and To (no tag), CSeq one higher, a new
// Via branch, the Authorization (401) or Proxy-Authorization (407)
// header. When the call no longer rings, the branch was cancelled, or no
// challenge can be answered, res is the branch's outcome after all.
func (c *Call) authorize(b *branch, res *sip.Response) {
	if b.final != nil || c.phase != phaseRinging || b.cancelPending || b.cancelSent {
		b.onResponse(b, res)
		return
	}
	l := b.legs[0]
	inv := b.invite
	name, value, err := digestCredentials(res, inv, *b.target.Credentials)
	if err != nil {
		c.log.Warn("challenge not answered", "target", b.target.URI.String(), "peer", b.target.Peer, "status", res.StatusCode, "error", err)
		b.onResponse(b, res)
		return
	}
	out := inv.Clone()
	out.SetBody(inv.Body())
	out.RemoveHeader("Via")
	out.PrependHeader(l.via.Via(c.m.deps.Token.Branch()))
	out.RemoveHeader(name)
	out.AppendHeader(sip.NewHeader(name, value))
	out.CSeq().SeqNo = l.nextSeq()
	l.via.Prepare(out, l.dest)
	l.remoteTag = "" // a new request outside any dialog (RFC 3261 §22.2)
	b.invite, b.provisional = out, false
	b.auths++
	c.log.Info("INVITE challenged: sent with credentials", "target", b.target.URI.String(), "peer", b.target.Peer, "status", res.StatusCode, "cseq", out.CSeq().SeqNo)
	c.m.pool.Go(func() { c.runBranch(b) }) // a grown stack: sipgo and the send path run on it
}

// digestCredentials answers the first challenge of res (WWW-Authenticate
// for 401, Proxy-Authenticate for 407) that icholy/digest can compute
// (MD5, SHA-256: RFC 8760) for req; it returns the header's name and
// value.
func digestCredentials(res *sip.Response, req *sip.Request, cr Credentials) (string, string, error) {
	in, out := "WWW-Authenticate", "Authorization"
	if res.StatusCode == 407 {
		in, out = "Proxy-Authenticate", "Proxy-Authorization"
	}
	for _, h := range res.GetHeaders(in) {
		chal, err := digest.ParseChallenge(h.Value())
		if err != nil || !digest.CanDigest(chal) {
			continue
		}
		cred, err := digest.Digest(chal, digest.Options{Method: string(req.Method), URI: req.Recipient.String(), Username: cr.User, Password: cr.Password})
		if err != nil {
			continue
		}
		return out, cred.String(), nil
	}
	return "", "", fmt.Errorf("answer %d: %w", res.StatusCode, ErrNoChallenge)
}

// staleChallenge reports whether a challenge of res says stale=true.
func staleChallenge(res *sip.Response) bool {
	for _, name := range []string{"WWW-Authenticate", "Proxy-Authenticate"} {
		for _, h := range res.GetHeaders(name) {
			if chal, err := digest.ParseChallenge(h.Value()); err == nil && chal.Stale {
				return true
			}
		}
	}
	return false
}
