package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
)

// Op is one unit of work run by a Batcher inside a shared transaction. It
// must use only tx (never the *sql.DB: the pool has a single connection).
type Op func(ctx context.Context, tx *sql.Tx) error

// Batcher is a group-commit writer: one goroutine takes every Op queued
// while the previous transaction was committing, runs them in one
// transaction (each inside its own SAVEPOINT, so a failing Op is rolled back
// alone) and commits once. Do returns only after that commit, so whatever Do
// acknowledged is durable in the sense of the package comment.
//
// The writer goroutine starts in NewBatcher and stops in Close.
type Batcher struct {
	db       *sql.DB
	log      *slog.Logger
	maxBatch int

	queue chan *pending
	quit  chan struct{}
	done  chan struct{}

	mu     sync.RWMutex // held shared while sending, exclusively to close
	closed bool
}

type pending struct {
	ctx    context.Context
	op     Op
	result chan error
}

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
		db:       db,
		log:      slog.New(slog.DiscardHandler),
		maxBatch: 256,
		quit:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	for _, o := range opts {
		o(b)
	}
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
		case <-b.quit:
			b.drain()
			return
		}
		batch = b.fill(batch)
		b.commit(batch)
	}
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
	err := b.runTx(ctx, batch, results)
	for i, p := range batch {
		if err != nil {
			results[i] = err
		}
		p.result <- results[i]
	}
	if err != nil {
		b.log.Warn("group commit failed", "ops", len(batch), "error", err)
	}
}

func (b *Batcher) runTx(ctx context.Context, batch []*pending, results []error) error {
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin group commit: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	for i, p := range batch {
		if err := p.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		if _, err := tx.ExecContext(ctx, "SAVEPOINT op"); err != nil {
			return fmt.Errorf("open savepoint: %w", err)
		}
		// The Op runs to completion whatever its caller's ctx does:
		// interrupting a statement would roll back the whole shared
		// transaction (sqlite3_interrupt), not just this Op.
		if err := p.op(context.WithoutCancel(p.ctx), tx); err != nil {
			results[i] = err
			if _, err := tx.ExecContext(ctx, "ROLLBACK TO op"); err != nil {
				return fmt.Errorf("roll back savepoint: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, "RELEASE op"); err != nil {
			return fmt.Errorf("release savepoint: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit group: %w", err)
	}
	return nil
}
