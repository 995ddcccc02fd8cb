package digestauth

import "errors"

// Sentinel errors returned by Verify (wrapped; test with errors.Is) and New.
var (
	// ErrNoCredentials: no Digest Authorization/Proxy-Authorization header
	// (headers of other schemes are ignored, RFC 4475 §3.3.7).
	ErrNoCredentials = errors.New("no digest credentials")
	// ErrMalformed: the Digest header does not parse, or lacks a field the
	// response needs (cnonce/nc with qop), or uses userhash or a qop other
	// than auth.
	ErrMalformed = errors.New("malformed digest credentials")
	// ErrUnknownRealm: the credentials name a realm that is not configured.
	ErrUnknownRealm = errors.New("unknown realm")
	// ErrUnknownUser: Credentials has no password for the username.
	ErrUnknownUser = errors.New("unknown user")
	// ErrAlgorithm: the algorithm is not one the realm offers.
	ErrAlgorithm = errors.New("algorithm not offered")
	// ErrURIMismatch: the digest uri is not the Request-URI (RFC 3261
	// §22.4); RFC 2617 §3.2.2.5 wants 400 Bad Request for it.
	ErrURIMismatch = errors.New("digest uri does not match request-uri")
	// ErrBadNonce: the nonce was not issued by this server (bad HMAC,
	// wrong realm, other secret, garbage).
	ErrBadNonce = errors.New("invalid nonce")
	// ErrWrongPassword: the response hash does not match.
	ErrWrongPassword = errors.New("wrong password")
	// ErrStaleNonce: the credentials are correct but the nonce is older than
	// the TTL; the server re-challenges with stale=true (RFC 2617 §3.2.1).
	ErrStaleNonce = errors.New("stale nonce")
	// ErrConfig: New was given an unusable realm list.
	ErrConfig = errors.New("invalid digest configuration")
)
