package sipx

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/clock"
)

// Replay lets a non-INVITE server transaction over UDP end as soon as its
// final response is sent, instead of sipgo keeping the whole transaction
// (request, response, timers, FSM: ~7 KB) for Timer J = 64*T1 = 32 s.
//
// RFC 3261 §17.2.2 keeps the transaction in "Completed" only so that a
// retransmission of the request is answered with the same final response
// and never reaches the TU again. Replay keeps exactly that and nothing
// more: the final response's bytes, keyed by the transaction key of
// §17.2.3 (top Via branch, sent-by, CSeq method), for the same 64*T1. A
// retransmission that arrives after the transaction ended finds no sipgo
// transaction, so sipgo opens a new one and calls the handler: Replay
// answers it from the cache and ends it, without calling the wrapped
// handler. Over reliable transports Timer J is zero and sipgo already ends
// the transaction at once: Replay passes those through untouched, and
// likewise requests without an RFC 3261 branch, ACK, INVITE.
//
// The cache is bounded (max entries, the oldest evicted first); entries
// expire in insertion order, so a FIFO suffices.
type Replay struct {
	clock clock.Clock
	life  time.Duration
	max   int

	mu    sync.Mutex
	byKey map[string]replayed
	order []replayKey // insertion (= expiry) order; order[head:] are live
	head  int
	peak  int // the most entries byKey held since it was last rebuilt
}

// replayShrinkMin is the peak below which a drained cache keeps its map: a
// Go map does not give back its buckets when entries are deleted, so after
// a storm of 200,000 REGISTERs an empty map would still hold ~16 MB.
const replayShrinkMin = 1024

type replayed struct {
	raw     string // the final response as sent
	dest    string // where it went (sipgo's resolved Via/rport address)
	expires time.Time
}

type replayKey struct {
	key     string
	expires time.Time
}

// NewReplay returns a cache keeping final responses for life (64*T1),
// holding at most max of them.
func NewReplay(life time.Duration, max int, c clock.Clock) *Replay {
	if c == nil {
		c = clock.New()
	}
	return &Replay{clock: c, life: life, max: max, byKey: map[string]replayed{}}
}

// Len is the number of cached responses (expired ones not yet swept
// included).
func (r *Replay) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.byKey)
}

// Wrap returns h with retransmission replay in front (see Replay).
func (r *Replay) Wrap(h Handler) Handler {
	return func(ctx context.Context, req *sip.Request, tx Tx) error {
		key, ok := replayKeyOf(req)
		if !ok {
			return h(ctx, req, tx)
		}
		if e, hit := r.get(key); hit {
			return r.answer(req, tx, e)
		}
		rec := &recordingTx{ServerTransaction: tx.ServerTransaction}
		rtx := Tx{ServerTransaction: rec, final: tx.final}
		err := h(ctx, req, rtx)
		if err != nil && !rtx.Answered() {
			// the error's response (Adapt's mapping) is sent here, so
			// that it is kept for the retransmissions too
			_ = rtx.Respond(ErrorResponse(req, err))
		}
		if res := rec.final.Load(); res != nil {
			r.put(key, res.String(), res.Destination())
			tx.Terminate() // the cache answers from now on (§17.2.2 Completed)
		}
		return err
	}
}

// answer resends the cached final response on the new transaction and
// ends it.
func (r *Replay) answer(req *sip.Request, tx Tx, e replayed) error {
	msg, err := sip.ParseMessage([]byte(e.raw))
	res, ok := msg.(*sip.Response)
	if err != nil || !ok { // our own bytes: cannot happen; answer afresh
		return ErrUnavailable
	}
	res.SetTransport(req.Transport())
	res.SetDestination(e.dest)
	err = tx.Respond(res)
	tx.Terminate()
	return err
}

func (r *Replay) get(key string) (replayed, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.byKey[key]
	if !ok || !e.expires.After(r.clock.Now()) {
		return replayed{}, false
	}
	return e, true
}

func (r *Replay) put(key, raw, dest string) {
	now := r.clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sweep(now)
	exp := now.Add(r.life)
	r.byKey[key] = replayed{raw: raw, dest: dest, expires: exp}
	r.order = append(r.order, replayKey{key: key, expires: exp})
	r.peak = max(r.peak, len(r.byKey))
}

// Sweep drops the expired entries now, rather than at the next put: a
// PBX's traffic may stop after a burst (Stack sweeps on a ticker).
func (r *Replay) Sweep() {
	now := r.clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sweep(now)
}

// sweep drops expired entries and, past max, the oldest; it compacts the
// FIFO when its dead prefix is half of it.
func (r *Replay) sweep(now time.Time) {
	for r.head < len(r.order) {
		k := r.order[r.head]
		if k.expires.After(now) && len(r.order)-r.head < r.max {
			break
		}
		if e, ok := r.byKey[k.key]; ok && e.expires.Equal(k.expires) {
			delete(r.byKey, k.key)
		}
		r.order[r.head] = replayKey{}
		r.head++
	}
	if r.head > 0 && r.head >= len(r.order)/2 {
		n := copy(r.order, r.order[r.head:])
		clear(r.order[n:])
		r.order = r.order[:n]
		r.head = 0
		if cap(r.order) >= replayShrinkMin && n <= cap(r.order)/4 {
			r.order = append(make([]replayKey, 0, 2*n), r.order...)
		}
	}
	if r.peak >= replayShrinkMin && len(r.byKey) <= r.peak/4 {
		m := make(map[string]replayed, len(r.byKey))
		for k, e := range r.byKey {
			m[k] = e
		}
		r.byKey, r.peak = m, len(m)
	}
}

// replayKeyOf is the RFC 3261 §17.2.3 server transaction key of a
// non-INVITE request received over an unreliable transport; ok is false
// for anything Replay leaves to sipgo.
func replayKeyOf(req *sip.Request) (string, bool) {
	if req.IsInvite() || req.IsAck() || sip.IsReliable(req.Transport()) {
		return "", false
	}
	via, cseq := req.Via(), req.CSeq()
	if via == nil || cseq == nil {
		return "", false
	}
	branch, _ := via.Params.Get("branch")
	if !strings.HasPrefix(branch, sip.RFC3261BranchMagicCookie) || len(branch) == len(sip.RFC3261BranchMagicCookie) {
		return "", false
	}
	port := via.Port
	if port <= 0 {
		port = int(sip.DefaultPort(via.Transport))
	}
	return branch + "|" + strings.ToLower(via.Host) + ":" + strconv.Itoa(port) + "|" + string(cseq.MethodName), true
}

// recordingTx remembers the final response a handler sent.
type recordingTx struct {
	sip.ServerTransaction
	final atomic.Pointer[sip.Response]
}

func (t *recordingTx) Respond(res *sip.Response) error {
	if err := t.ServerTransaction.Respond(res); err != nil {
		return err
	}
	if res.StatusCode >= 200 {
		t.final.Store(res)
	}
	return nil
}
