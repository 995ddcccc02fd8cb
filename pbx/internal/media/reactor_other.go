//go:build !linux

package media

import (
	"errors"
	"net/netip"
)

// Without Linux's epoll every endpoint reads its socket from a goroutine.
type reactor struct{}

type rawAddr struct{}

func newReactor(int, int) (*reactor, error) { return nil, errors.New("no reactor on this system") }
func (r *reactor) close()                   {}
func (r *reactor) add(*Endpoint) bool       { return false }
func (r *reactor) remove(*Endpoint)         {}
func newRawAddr(netip.AddrPort) rawAddr     { return rawAddr{} }
func sendTo(int, []byte, *dest) error       { return errors.ErrUnsupported }
