package digestauth

import (
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// Challenge builds the challenge response to req: 401 Unauthorized with
// WWW-Authenticate headers, or with proxy 407 Proxy Authentication Required
// with Proxy-Authenticate headers (RFC 3261 §22.1, §22.3). It carries one
// header per algorithm of the realm, in configured order (RFC 8760 §2.4),
// each with a fresh nonce, qop="auth", and stale=true when stale is set
// (after Verify returned ErrStaleNonce). realm "" means the first
// configured realm; an unknown realm is a configuration error and gets a
// 500 instead of a challenge nobody could answer.
func (a *Auth) Challenge(req *sip.Request, realm string, proxy bool, stale bool) *sip.Response {
	r := a.realms[0]
	if realm != "" {
		var ok bool
		if r, ok = a.realm(realm); !ok {
			return sip.NewResponseFromRequest(req, sip.StatusInternalServerError, "Unknown Realm", nil)
		}
	}
	code, reason, name := sip.StatusUnauthorized, "Unauthorized", "WWW-Authenticate"
	if proxy {
		code, reason, name = sip.StatusProxyAuthRequired, "Proxy Authentication Required", "Proxy-Authenticate"
	}
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	for _, alg := range r.Algorithms {
		ch := digest.Challenge{
			Realm:     r.Name,
			Nonce:     a.newNonce(r.Name),
			Algorithm: alg,
			QOP:       []string{"auth"},
			Stale:     stale,
		}
		res.AppendHeader(sip.NewHeader(name, ch.String()))
	}
	return res
}
