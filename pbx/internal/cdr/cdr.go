// Package cdr keeps call detail records in SQLite: one row per call
// attempt, inserted at setup (without waiting for the commit) and completed
// at the end (waiting for it), so a crash leaves a row for every call that
// was in progress for longer than one group commit (marked INTERRUPTED on
// the next start) and loses none that ended. Writes for a record whose
// insert has not run yet change the insert instead (a short call is one
// INSERT, not an INSERT and two UPDATEs).
package cdr

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"pbxlab/internal/clock"
	"pbxlab/pbx/internal/store"
)

// Disposition is how a call attempt ended.
type Disposition string

// Dispositions.
const (
	Answered    Disposition = "ANSWERED"
	Busy        Disposition = "BUSY"
	NoAnswer    Disposition = "NO_ANSWER"
	Cancelled   Disposition = "CANCELLED"
	Failed      Disposition = "FAILED"
	Redirected  Disposition = "REDIRECTED"
	Rejected    Disposition = "REJECTED"
	InProgress  Disposition = "IN_PROGRESS"
	Interrupted Disposition = "INTERRUPTED"
)

// Record is one call attempt.
type Record struct {
	ID          int64       `json:"id"`
	CallID      string      `json:"call_id"`
	Caller      string      `json:"caller"`
	Dialled     string      `json:"dialled"`
	Callee      string      `json:"callee"`
	Setup       time.Time   `json:"setup"`
	Answer      time.Time   `json:"answer,omitzero"`
	End         time.Time   `json:"end,omitzero"`
	Disposition Disposition `json:"disposition"`
	Cause       int         `json:"cause"`
	Reason      string      `json:"reason,omitempty"`
}

// Filter selects records by setup time; zero fields do not filter.
type Filter struct {
	Since, Until time.Time
	Limit        int
}

// Store is the CDR table.
type Store struct {
	db *sql.DB
	b  *store.Batcher // its writes prepared once (Batcher.Prepare)
	// lastID is the id Begin issued last (or the largest in the table)
	lastID atomic.Int64
	clock  clock.Clock
	log    *slog.Logger
	// readOnly stores (the `pbxlab cdr` lister) neither recover nor write:
	// the PBX may be running and own the IN_PROGRESS rows.
	readOnly bool
	// commitDelay is the writer's group-commit window (WithCommitDelay).
	commitDelay time.Duration
	// postDelay, when set, replaces the writer's wait for a write that
	// waits (store.WithPostDelay; tests)
	postDelay time.Duration

	mu sync.Mutex
	// queued holds the records whose insert is queued and has not run
	// yet: Answered and Finish change the insert instead of queueing an
	// UPDATE.
	queued map[int64]*queuedRow
}

// queuedRow is a record whose insert Begin queued.
type queuedRow struct {
	r Record // guarded by Store.mu while the row is in queued
	// inserted tells whether the insert ran and succeeded in the group
	// commit being built (set and read by the writer goroutine only).
	inserted bool
}

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock used for recovery timestamps.
func WithClock(c clock.Clock) Option { return func(s *Store) { s.clock = c } }

// ReadOnly opens the table for listing only: no migration writes, no
// recovery of interrupted calls.
func ReadOnly() Option { return func(s *Store) { s.readOnly = true } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *Store) { s.log = l } }

// WithCommitDelay sets the group-commit window of Finish's writes under
// load (store.WithCommitDelay; default 0).
func WithCommitDelay(d time.Duration) Option { return func(s *Store) { s.commitDelay = d } }

// withPostDelay sets how long a posted insert waits for a write that waits.
func withPostDelay(d time.Duration) Option { return func(s *Store) { s.postDelay = d } }

func schema() store.Schema {
	return store.Schema{Name: "cdr", Steps: []string{`
CREATE TABLE cdr (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	call_id     TEXT    NOT NULL,
	caller      TEXT    NOT NULL,
	dialled     TEXT    NOT NULL,
	callee      TEXT    NOT NULL,
	setup_ns    INTEGER NOT NULL,
	answer_ns   INTEGER NOT NULL,
	end_ns      INTEGER NOT NULL,
	disposition TEXT    NOT NULL,
	cause       INTEGER NOT NULL,
	reason      TEXT    NOT NULL
);
CREATE INDEX cdr_setup ON cdr(setup_ns);
`}}
}

// Open migrates the CDR table on db and marks rows a crash left
// IN_PROGRESS as INTERRUPTED, ended at the time of recovery.
func Open(ctx context.Context, db *sql.DB, opts ...Option) (*Store, error) {
	s := &Store{db: db, clock: clock.New(), log: slog.New(slog.DiscardHandler), queued: make(map[int64]*queuedRow)}
	for _, o := range opts {
		o(s)
	}
	if s.readOnly {
		return s, nil
	}
	if err := store.Migrate(ctx, db, schema()); err != nil {
		return nil, fmt.Errorf("open cdr: %w", err)
	}
	res, err := db.ExecContext(ctx, `UPDATE cdr SET disposition = ?, end_ns = ?, reason = 'PBX stopped during the call'
		WHERE disposition = ?`, Interrupted, s.clock.Now().UnixNano(), InProgress)
	if err != nil {
		return nil, fmt.Errorf("recover cdr: %w", err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		s.log.Warn("calls interrupted by the last stop", "count", n)
	}
	var last int64
	if err := db.QueryRowContext(ctx, `SELECT MAX(COALESCE((SELECT MAX(id) FROM cdr), 0),
		COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'cdr'), 0))`).Scan(&last); err != nil {
		return nil, fmt.Errorf("open cdr: last id: %w", err)
	}
	s.lastID.Store(last)
	bopts := []store.BatcherOption{store.WithBatcherLogger(s.log), store.WithCommitDelay(s.commitDelay)}
	if s.postDelay > 0 {
		bopts = append(bopts, store.WithPostDelay(s.postDelay))
	}
	s.b = store.NewBatcher(db, bopts...)
	if err := s.b.Prepare(ctx, insertRecord, updateAnswer, updateFinish); err != nil {
		_ = s.b.Close()
		return nil, fmt.Errorf("open cdr: %w", err)
	}
	return s, nil
}

// The writes of the call path, prepared once (Batcher.Prepare).
const (
	insertRecord = `INSERT INTO cdr(id, call_id, caller, dialled, callee, setup_ns, answer_ns, end_ns, disposition, cause, reason)
			VALUES(?,?,?,?,?,?,?,?,?,?,?)`
	updateAnswer = `UPDATE cdr SET answer_ns = ? WHERE id = ? AND end_ns = 0`
	updateFinish = `UPDATE cdr SET callee = ?, answer_ns = ?, end_ns = ?, disposition = ?, cause = ?, reason = ? WHERE id = ?`
)

// Begin queues the insert of r (disposition IN_PROGRESS unless set) and
// returns its id at once, without waiting for the commit: the insert rides
// with the next group commit (within WithPostDelay, 20 ms, or with the
// next write that waits), off the call's set-up path. Writes queued after
// it (Answered, Finish) commit after it, so a Finish that returned means
// the whole record is committed; a crash within that one commit may lose
// the record of a call set up in its last milliseconds, never one that
// ended. Ids come from the store (the largest in the table or ever issued,
// plus one), so the writer of a database is this Store alone.
func (s *Store) Begin(ctx context.Context, r Record) (int64, error) {
	if s.b == nil {
		return 0, fmt.Errorf("begin cdr %s: %w", r.CallID, ErrReadOnly)
	}
	if r.Disposition == "" {
		r.Disposition = InProgress
	}
	id := s.lastID.Add(1)
	rw := &queuedRow{r: r}
	s.mu.Lock()
	s.queued[id] = rw
	s.mu.Unlock()
	err := s.b.Post(ctx, func(ctx context.Context, tx store.Tx) error {
		// from here on Answered and Finish write UPDATEs, queued after
		// this Op; a group commit run again after a rollback runs it
		// again with the same record
		s.mu.Lock()
		r := rw.r
		delete(s.queued, id)
		s.mu.Unlock()
		_, err := tx.Exec(ctx, insertRecord, id, r.CallID, r.Caller, r.Dialled, r.Callee, ns(r.Setup), ns(r.Answer), ns(r.End), r.Disposition, r.Cause, r.Reason)
		rw.inserted = err == nil
		return err
	})
	if err != nil {
		s.mu.Lock()
		delete(s.queued, id)
		s.mu.Unlock()
		return 0, fmt.Errorf("begin cdr %s: %w", r.CallID, err)
	}
	return id, nil
}

// amend changes the queued insert of record id with f and reports
// whether there was one (false: the insert ran, write an UPDATE).
func (s *Store) amend(id int64, f func(*Record)) (*queuedRow, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rw, ok := s.queued[id]
	if ok {
		f(&rw.r)
	}
	return rw, ok
}

// Answered sets the answer time of record id. It queues the write and
// returns without waiting for its commit: the answer time rides with the
// next group commit (Begin, Finish or REGISTER writes of other calls), off
// the call's path. A crash within that one commit may lose the answer time
// of a call in progress (its INTERRUPTED record then shows none); the
// record of a finished call carries it anyway (Finish writes it), and a
// Finish or Flush after Answered returns only once it was committed.
func (s *Store) Answered(ctx context.Context, id int64, at time.Time) error {
	if s.b == nil {
		return fmt.Errorf("answer cdr %d: %w", id, ErrReadOnly)
	}
	if _, ok := s.amend(id, func(r *Record) {
		if r.End.IsZero() { // as updateAnswer: a finished record keeps its own
			r.Answer = at
		}
	}); ok {
		return nil
	}
	err := s.b.Post(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.Exec(ctx, updateAnswer, ns(at), id)
		return err
	})
	if err != nil {
		return fmt.Errorf("answer cdr %d: %w", id, err)
	}
	return nil
}

// Flush returns once every write queued before it is committed.
func (s *Store) Flush(ctx context.Context) error {
	if s.b == nil {
		return nil
	}
	if err := s.b.Do(ctx, func(context.Context, store.Tx) error { return nil }); err != nil {
		return fmt.Errorf("flush cdr: %w", err)
	}
	return nil
}

// Finish completes record id with r's outcome; it returns once committed.
func (s *Store) Finish(ctx context.Context, id int64, r Record) error {
	if s.b == nil {
		return fmt.Errorf("finish cdr %d: %w", id, ErrReadOnly)
	}
	if rw, ok := s.amend(id, func(q *Record) {
		q.Callee, q.Answer, q.End, q.Disposition, q.Cause, q.Reason = r.Callee, r.Answer, r.End, r.Disposition, r.Cause, r.Reason
	}); ok {
		// the insert now carries the outcome: wait for its commit
		err := s.b.Do(ctx, func(context.Context, store.Tx) error {
			if !rw.inserted {
				return ErrNoRecord
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("finish cdr %d: %w", id, err)
		}
		return nil
	}
	err := s.b.Do(ctx, func(ctx context.Context, tx store.Tx) error {
		res, err := tx.Exec(ctx, updateFinish, r.Callee, ns(r.Answer), ns(r.End), r.Disposition, r.Cause, r.Reason, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrNoRecord
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("finish cdr %d: %w", id, err)
	}
	return nil
}

// List returns the records matching f, oldest first; writes this Store
// queued before it (Begin, Answered) are committed first, so they show.
func (s *Store) List(ctx context.Context, f Filter) ([]Record, error) {
	if err := s.Flush(ctx); err != nil {
		return nil, fmt.Errorf("list cdr: %w", err)
	}
	q := `SELECT id, call_id, caller, dialled, callee, setup_ns, answer_ns, end_ns, disposition, cause, reason FROM cdr WHERE setup_ns >= ?`
	args := []any{ns(f.Since)}
	if !f.Until.IsZero() {
		q += ` AND setup_ns < ?`
		args = append(args, ns(f.Until))
	}
	if f.Limit > 0 {
		// the newest Limit records, still listed oldest first
		q = fmt.Sprintf(`SELECT * FROM (%s ORDER BY setup_ns DESC, id DESC LIMIT %d)`, q, f.Limit)
	}
	q += ` ORDER BY setup_ns, id`
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list cdr: %w", err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var r Record
		var setup, answer, end int64
		if err := rows.Scan(&r.ID, &r.CallID, &r.Caller, &r.Dialled, &r.Callee, &setup, &answer, &end, &r.Disposition, &r.Cause, &r.Reason); err != nil {
			return nil, fmt.Errorf("list cdr: %w", err)
		}
		r.Setup, r.Answer, r.End = fromNS(setup), fromNS(answer), fromNS(end)
		out = append(out, r)
	}
	return out, rows.Err()
}

// Count returns the number of records, those this Store queued included.
func (s *Store) Count(ctx context.Context) (int, error) {
	if err := s.Flush(ctx); err != nil {
		return 0, fmt.Errorf("count cdr: %w", err)
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM cdr`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count cdr: %w", err)
	}
	return n, nil
}

// Stats returns the group-commit writer's counters (zero for a read-only
// store).
func (s *Store) Stats() store.Stats {
	if s.b == nil {
		return store.Stats{}
	}
	return s.b.Stats()
}

// Close waits for pending writes.
func (s *Store) Close() error {
	if s.b == nil {
		return nil
	}
	return s.b.Close()
}

func ns(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.Unix(0, v).UTC()
}
