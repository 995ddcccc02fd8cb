package digestauth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"hash"
	"io"
	"time"
)

// A nonce is base64url(ts | salt | mac) where ts is the issue time in Unix
// nanoseconds (8 bytes, big endian), salt 8 random bytes, and
// mac = HMAC-SHA256(secret, ts | salt | realm). Verifying it needs no state:
// the MAC proves that this server issued it for this realm, ts its age.
// Being stateless, a nonce can be replayed within its TTL (no nc tracking).
const (
	tsLen    = 8
	saltLen  = 8
	macLen   = sha256.Size
	nonceLen = tsLen + saltLen + macLen
)

func (a *Auth) newNonce(realm string) string {
	var raw [nonceLen]byte
	binary.BigEndian.PutUint64(raw[:tsLen], uint64(a.clock.Now().UnixNano()))
	_, _ = rand.Read(raw[tsLen : tsLen+saltLen])           // never fails (crypto/rand)
	a.mac(raw[:tsLen+saltLen], raw[:tsLen+saltLen], realm) // appends in place
	return base64.RawURLEncoding.EncodeToString(raw[:])
}

// mac is HMAC-SHA256(secret, tsSalt | realm) appended to dst. The keyed
// hashes are pooled: one per REGISTER was ~10 % of the bytes a REGISTER
// allocated.
func (a *Auth) mac(dst, tsSalt []byte, realm string) []byte {
	m, _ := a.macs.Get().(hash.Hash)
	if m == nil {
		m = hmac.New(sha256.New, a.secret)
	}
	m.Reset()
	m.Write(tsSalt)
	io.WriteString(m, realm)
	dst = m.Sum(dst)
	a.macs.Put(m)
	return dst
}

// checkNonce returns the nonce's age, or ErrBadNonce.
func (a *Auth) checkNonce(nonce, realm string) (time.Duration, error) {
	if base64.RawURLEncoding.DecodedLen(len(nonce)) != nonceLen {
		return 0, ErrBadNonce
	}
	raw, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil || len(raw) != nonceLen {
		return 0, ErrBadNonce
	}
	var sum [macLen]byte
	if !hmac.Equal(raw[tsLen+saltLen:], a.mac(sum[:0], raw[:tsLen+saltLen], realm)) {
		return 0, ErrBadNonce
	}
	issued := time.Unix(0, int64(binary.BigEndian.Uint64(raw[:tsLen])))
	age := a.clock.Now().Sub(issued)
	if age < -a.ttl { // issued in the future: another clock, not ours
		return 0, ErrBadNonce
	}
	return age, nil
}
