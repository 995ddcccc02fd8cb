// Package sipx is the only package that knows sipgo's handler signature. It
// turns `func(ctx, req, tx) error` handlers into sipgo handlers, maps errors
// to SIP responses in one place, recovers panics, and validates what every
// request must carry before the PBX's policy sees it.
package sipx

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync/atomic"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Handler handles one request. It responds through tx itself on success;
// a non-nil error is answered by ErrorResponse unless a final response was
// already sent.
type Handler func(ctx context.Context, req *sip.Request, tx Tx) error

// Tx wraps a sipgo server transaction and remembers whether a final
// response went out, so the adapter never answers twice.
type Tx struct {
	sip.ServerTransaction
	final *atomic.Bool
}

// NewTx wraps tx (tests wrap fakes the same way).
func NewTx(tx sip.ServerTransaction) Tx { return Tx{ServerTransaction: tx, final: new(atomic.Bool)} }

// Respond sends res and records whether it was final.
func (t Tx) Respond(res *sip.Response) error {
	if res.StatusCode >= 200 {
		t.final.Store(true)
	}
	if err := t.ServerTransaction.Respond(res); err != nil {
		return fmt.Errorf("respond %d: %w", res.StatusCode, err)
	}
	return nil
}

// Answered reports whether a final response was sent.
func (t Tx) Answered() bool { return t.final.Load() }

// Adapt wraps h for sipgo. ctx is the server's base context; each request
// gets its own child context cancelled when the handler returns.
func Adapt(base context.Context, log *slog.Logger, h Handler) sipgo.RequestHandler {
	return adapt(base, log, h, false)
}

func adapt(base context.Context, log *slog.Logger, h Handler, outOfDialog bool) sipgo.RequestHandler {
	return func(req *sip.Request, stx sip.ServerTransaction) {
		tx := NewTx(stx)
		ctx, cancel := context.WithCancel(base)
		defer cancel()
		defer func() {
			if r := recover(); r != nil {
				log.Error("handler panic", "method", req.Method, "panic", r, "stack", string(debug.Stack()))
				if !req.IsAck() && !tx.Answered() {
					_ = tx.Respond(sip.NewResponseFromRequest(req, 500, "Server Internal Error", nil))
				}
			}
		}()
		if bodyMethods[req.Method] {
			UseSDPPart(req) // SDP + ISUP from a carrier: the SDP is what counts
		}
		if err := validate(req, outOfDialog); err != nil {
			if !req.IsAck() {
				_ = tx.Respond(ErrorResponse(req, err))
			}
			return
		}
		err := h(ctx, req, tx)
		if err == nil || req.IsAck() || tx.Answered() {
			if err != nil {
				log.Debug("request handled with error", "method", req.Method, "error", err)
			}
			return
		}
		res := ErrorResponse(req, err)
		log.Debug("request rejected", "method", req.Method, "status", res.StatusCode, "error", err)
		if rerr := tx.Respond(res); rerr != nil {
			log.Warn("send error response", "status", res.StatusCode, "error", rerr)
		}
	}
}
