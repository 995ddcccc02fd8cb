package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Op is one unit of work run by a Batcher inside a shared transaction. It
// must use only tx (never the *sql.DB: the pool has a single connection,
// which the transaction holds).
type Op func(ctx context.Context, tx Tx) error

// Batcher is a group-commit writer: one goroutine takes every Op queued
// while the previous transaction was committing, runs them in one
// transaction and commits once. When an Op fails, the transaction is rolled
// back and the batch run again with each Op inside its own SAVEPOINT, so a
// failing Op is rolled back alone. Do returns only after that commit, so whatever Do
// acknowledged is durable in the sense of the package comment.
//
// The writer goroutine starts in NewBatcher and stops in Close.
type Batcher struct {
	db          *sql.DB
	log         *slog.Logger
	maxBatch    int
	postDelay   time.Duration
	commitDelay time.Duration
	groupSize   int       // a commit delay ends once this many Ops share the commit
	lastCommit  time.Time // when the previous commit ended (the writer's own)
	w           writerConn

	queue chan *pending
	prep  chan prepRequest // Prepare, run by the writer outside a commit
	quit  chan struct{}
	done  chan struct{}

	mu     sync.RWMutex // held shared while sending, exclusively to close
	closed bool

	commits atomic.Int64 // transactions committed (Stats)
	ops     atomic.Int64 // Ops committed (Stats)
}

type pending struct {
	ctx    context.Context
	op     Op
	result chan error // buffered: the writer never blocks on it
	posted bool       // by Post: nobody reads result, failures are logged
}

// Stats are a Batcher's counters since NewBatcher.
type Stats struct {
	Commits int64 // transactions committed
	Ops     int64 // Ops they carried
}

// Stats returns the counters.
func (b *Batcher) Stats() Stats { return Stats{Commits: b.commits.Load(), Ops: b.ops.Load()} }

// BatcherOption configures a Batcher.
type BatcherOption func(*Batcher)

// WithMaxBatch caps the number of Ops committed in one transaction
// (default 256).
func WithMaxBatch(n int) BatcherOption {
	return func(b *Batcher) {
		if n > 0 {
			b.maxBatch = n
		}
	}
}

// WithPostDelay bounds how long an Op queued by Post may wait for an Op of
// Do to commit with (default 20ms; 0 commits posted Ops at once).
func WithPostDelay(d time.Duration) BatcherOption {
	return func(b *Batcher) {
		if d >= 0 {
			b.postDelay = d
		}
	}
}

// WithCommitDelay sets the group-commit window under load (default 0:
// none). A batch whose Ops someone waits for (Do) commits at once, unless
// the previous commit ended less than d ago: then it waits until d after
// that commit for more Ops to share the commit (or until WithGroupSize's
// Ops share it). Ops arriving more than d apart never wait; a steady load
// of n Ops/s commits at most max(1/d, n/groupSize) times a second instead
// of n, and a Do waits at most d more.
// PostgreSQL's commit_delay is the same idea, with commit_siblings for
// "under load".
func WithCommitDelay(d time.Duration) BatcherOption {
	return func(b *Batcher) {
		if d >= 0 {
			b.commitDelay = d
		}
	}
}

// WithGroupSize ends a commit delay's wait (WithCommitDelay) as soon as
// n Ops share the commit (default 32, at most the maximum batch). A
// commit's fixed cost (BEGIN, the WAL frames, COMMIT) shared by 32 Ops is
// already small beside theirs, so waiting longer only adds latency; and
// where the writers wait for their commits before writing again (a
// registration storm with a bounded number in flight), the batch reaches
// n long before the delay ends, so the delay does not cap their rate.
func WithGroupSize(n int) BatcherOption {
	return func(b *Batcher) {
		if n > 0 {
			b.groupSize = n
		}
	}
}

// WithBatcherLogger sets the logger (default: discard).
func WithBatcherLogger(l *slog.Logger) BatcherOption {
	return func(b *Batcher) {
		if l != nil {
			b.log = l
		}
	}
}

// NewBatcher starts a group-commit writer on db.
func NewBatcher(db *sql.DB, opts ...BatcherOption) *Batcher {
	b := &Batcher{
		db:        db,
		log:       slog.New(slog.DiscardHandler),
		maxBatch:  256,
		groupSize: 32,
		postDelay: 20 * time.Millisecond,
		prep:      make(chan prepRequest),
		quit:      make(chan struct{}),
		done:      make(chan struct{}),
	}
	for _, o := range opts {
		o(b)
	}
	b.groupSize = min(b.groupSize, b.maxBatch)
	b.queue = make(chan *pending, b.maxBatch)
	go b.run()
	return b
}

// Do runs op in the next group commit and waits for the commit. If ctx ends
// before op was started, op is skipped and ctx's error returned; once op has
// started, Do waits for the commit whatever ctx does, so a nil error always
// means "committed".
func (b *Batcher) Do(ctx context.Context, op Op) error {
	p := &pending{ctx: ctx, op: op, result: make(chan error, 1)}
	if err := b.enqueue(p); err != nil {
		return err
	}
	return <-p.result
}

// Post queues op for the next group commit and returns without waiting
// for it: the write rides with whatever else commits next, off the
// caller's path. The queue is bounded (WithMaxBatch): Post blocks while it
// is full. Ops queued later (by Post or Do) run after it, so a Do that
// returns nil also means every Op posted before it was attempted and, if it
// succeeded, committed. A failing posted Op is logged.
func (b *Batcher) Post(ctx context.Context, op Op) error {
	// the caller's ctx usually ends as soon as Post returns: the Op must
	// still run (ctx values are kept; a full queue blocks Post)
	return b.enqueue(&pending{ctx: context.WithoutCancel(ctx), op: op, result: make(chan error, 1), posted: true})
}

func (b *Batcher) enqueue(p *pending) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return ErrClosed
	}
	select {
	case b.queue <- p:
		return nil
	case <-p.ctx.Done():
		return p.ctx.Err()
	}
}

// Close stops the writer after committing what was queued, and waits for it.
func (b *Batcher) Close() error {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.quit)
	}
	b.mu.Unlock()
	<-b.done
	return nil
}

func (b *Batcher) run() {
	defer close(b.done)
	batch := make([]*pending, 0, b.maxBatch)
	for {
		select {
		case p := <-b.queue:
			batch = append(batch[:0], p)
		case r := <-b.prep:
			r.result <- b.withConn(context.Background(), func() error { return b.w.prepare(r.ctx, r.queries) })
			continue
		case <-b.quit:
			b.drain()
			b.closeStmts()
			return
		}
		batch = b.fill(batch)
		switch {
		case onlyPosted(batch):
			batch = b.await(batch)
		case b.commitDelay > 0 && time.Since(b.lastCommit) < b.commitDelay:
			batch = b.gather(batch, time.Until(b.lastCommit.Add(b.commitDelay)))
		}
		b.commit(batch)
		b.lastCommit = time.Now()
	}
}

func onlyPosted(batch []*pending) bool {
	for _, p := range batch {
		if !p.posted {
			return false
		}
	}
	return true
}

// await holds a batch that nobody waits for (Post only) until an Op of Do
// joins it, the batch is full, postDelay passed or Close: a posted write
// then shares a commit instead of paying one of its own.
func (b *Batcher) await(batch []*pending) []*pending {
	if b.postDelay <= 0 {
		return batch
	}
	t := time.NewTimer(b.postDelay)
	defer t.Stop()
	for len(batch) < b.maxBatch {
		select {
		case p := <-b.queue:
			batch = append(batch, p)
			if !p.posted {
				return b.fill(batch)
			}
		case <-t.C:
			return batch
		case <-b.quit:
			return batch
		}
	}
	return batch
}

// gather adds the Ops queued within d (WithCommitDelay), until the batch
// holds groupSize Ops (WithGroupSize) or Close.
func (b *Batcher) gather(batch []*pending, d time.Duration) []*pending {
	if len(batch) >= b.groupSize {
		return batch
	}
	t := time.NewTimer(d)
	defer t.Stop()
	for len(batch) < b.groupSize {
		select {
		case p := <-b.queue:
			batch = append(batch, p)
		case <-t.C:
			return batch
		case <-b.quit:
			return batch
		}
	}
	return batch
}

// fill adds whatever is already queued, without waiting.
func (b *Batcher) fill(batch []*pending) []*pending {
	for len(batch) < b.maxBatch {
		select {
		case p := <-b.queue:
			batch = append(batch, p)
		default:
			return batch
		}
	}
	return batch
}

// drain commits what was queued before Close. No sender can enqueue after
// Close set closed, so the queue only shrinks here.
func (b *Batcher) drain() {
	for {
		batch := b.fill(nil)
		if len(batch) == 0 {
			return
		}
		b.commit(batch)
	}
}

func (b *Batcher) commit(batch []*pending) {
	ctx := context.Background()
	results := make([]error, len(batch))
	err := b.withConn(ctx, func() error {
		err := b.runFast(ctx, batch, results)
		if errors.Is(err, errOpFailed) {
			// an Op failed: run the batch again, each Op in its own
			// SAVEPOINT, so only the failing one is rolled back
			clear(results)
			err = b.runTx(ctx, batch, results)
		}
		return err
	})
	if err == nil {
		b.commits.Add(1)
		b.ops.Add(int64(len(batch)))
	}
	for i, p := range batch {
		if err != nil {
			results[i] = err
		}
		if p.posted && results[i] != nil {
			b.log.Warn("posted write failed", "error", results[i])
		}
		p.result <- results[i]
	}
	if err != nil {
		b.log.Warn("group commit failed", "ops", len(batch), "error", err)
	}
}

// runFast runs the batch in one transaction without savepoints: the
// common case, where every Op succeeds, costs one statement per Op
// instead of three. If an Op fails, the whole transaction is rolled back
// and errOpFailed returned; the caller then runs the batch through runTx.
// Ops only act through tx, so running one again after a rollback is safe.
func (b *Batcher) runFast(ctx context.Context, batch []*pending, results []error) error {
	w := &b.w
	if err := w.begin(ctx); err != nil {
		return err
	}
	for i, p := range batch {
		if err := p.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		// as in runTx: the Op runs to completion whatever its caller's ctx does
		if err := p.op(context.WithoutCancel(p.ctx), Tx{w: w}); err != nil {
			w.rollback(ctx)
			return errOpFailed
		}
	}
	return w.commit(ctx)
}

func (b *Batcher) runTx(ctx context.Context, batch []*pending, results []error) error {
	w := &b.w
	if err := w.begin(ctx); err != nil {
		return err
	}
	for i, p := range batch {
		if err := p.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		if _, err := w.exec(ctx, "SAVEPOINT op", nil); err != nil {
			w.rollback(ctx)
			return fmt.Errorf("open savepoint: %w", err)
		}
		// The Op runs to completion whatever its caller's ctx does:
		// interrupting a statement would roll back the whole shared
		// transaction (sqlite3_interrupt), not just this Op.
		if err := p.op(context.WithoutCancel(p.ctx), Tx{w: w}); err != nil {
			results[i] = err
			if _, err := w.exec(ctx, "ROLLBACK TO op", nil); err != nil {
				w.rollback(ctx)
				return fmt.Errorf("roll back savepoint: %w", err)
			}
		}
		if _, err := w.exec(ctx, "RELEASE op", nil); err != nil {
			w.rollback(ctx)
			return fmt.Errorf("release savepoint: %w", err)
		}
	}
	return w.commit(ctx)
}

// closeStmts finalises the writer's statements on their connection once
// the last commit ran (a closed database has finalised them with it).
func (b *Batcher) closeStmts() {
	if len(b.w.stmts) == 0 {
		return
	}
	if err := b.withConn(context.Background(), b.w.close); err != nil {
		b.log.Debug("finalise statements", "error", err)
	}
}
