package sipx

import (
	"fmt"

	"github.com/emiago/sipgo/sip"
)

// Ended returns t without its sipgo transaction, for a holder that keeps
// the Tx (an INVITE's for the life of its call) after the transaction
// terminated: the sipgo object, the request and the last response it holds
// can go. The result says what the ended transaction said — answered or
// not, done, its error — and refuses responses as sipgo does after
// termination.
func (t Tx) Ended() Tx {
	if t.ServerTransaction == nil {
		return t
	}
	if _, ok := t.ServerTransaction.(endedTx); ok {
		return t
	}
	done := make(chan struct{})
	close(done)
	return Tx{ServerTransaction: endedTx{err: t.Err(), done: done}, final: t.final}
}

// endedTx is a terminated server transaction; done is closed.
type endedTx struct {
	err  error
	done chan struct{}
}

func (endedTx) Terminate()                         {}
func (endedTx) OnTerminate(sip.FnTxTerminate) bool { return false }
func (e endedTx) Done() <-chan struct{}            { return e.done }
func (e endedTx) Err() error                       { return e.err }
func (endedTx) Acks() <-chan *sip.Request          { return nil }
func (endedTx) OnCancel(sip.FnTxCancel) bool       { return false }
func (endedTx) Respond(res *sip.Response) error {
	return fmt.Errorf("respond %d: %w", res.StatusCode, sip.ErrTransactionTerminated)
}
