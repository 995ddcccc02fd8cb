package registrar

import (
	"context"
	"database/sql"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"pbxlab/pbx/internal/store"
)

// schema is the registrar's table history (append-only).
func schema() store.Schema {
	return store.Schema{Name: "registrar", Steps: []string{`
CREATE TABLE registrar_bindings (
	aor        TEXT    NOT NULL,
	contact    TEXT    NOT NULL,
	received   TEXT    NOT NULL,
	transport  TEXT    NOT NULL,
	expires_ns INTEGER NOT NULL,
	q          REAL    NOT NULL,
	call_id    TEXT    NOT NULL,
	cseq       INTEGER NOT NULL,
	static     INTEGER NOT NULL,
	updated_ns INTEGER NOT NULL,
	PRIMARY KEY (aor, contact)
) WITHOUT ROWID;
CREATE INDEX registrar_bindings_expires ON registrar_bindings(expires_ns) WHERE static = 0;
`,
		// The index on expires_ns served Purge alone and doubled the cost of
		// a refresh (an index entry moved, more pages to the WAL per
		// commit). A Cached store purges by primary key what its memory
		// says expired (DeleteExpired); a bare SQLStore's Purge scans.
		`DROP INDEX IF EXISTS registrar_bindings_expires;`,
	}}
}

// SQLStore is a Store on SQLite. Writes go through a group-commit
// store.Batcher: concurrent REGISTERs share one transaction, and each call
// returns only after the commit that holds its change. Reads query the
// database; put a Cached in front for the hot path.
type SQLStore struct {
	db *sql.DB
	b  *store.Batcher // its writes prepared once (Batcher.Prepare)
}

// NewSQLStore migrates the registrar schema in db (opened by store.Open)
// and starts the writer. Close stops the writer; db stays the caller's.
func NewSQLStore(ctx context.Context, db *sql.DB, opts ...store.BatcherOption) (*SQLStore, error) {
	if err := store.Migrate(ctx, db, schema()); err != nil {
		return nil, fmt.Errorf("open binding store: %w", err)
	}
	b := store.NewBatcher(db, opts...)
	if err := b.Prepare(ctx, upsert, deleteContact, deleteAOR, purge, deleteExpired); err != nil {
		_ = b.Close()
		return nil, fmt.Errorf("open binding store: %w", err)
	}
	return &SQLStore{db: db, b: b}, nil
}

// DeleteExpired deletes the rows of bs that are expired at now (not
// static, Expires not after now), by primary key: a Cached store's purge,
// which knows from memory what expired, without a scan of the table. A row
// refreshed since stays. The deletes commit expiredChunk at a time, so a
// mass expiry does not hold the writer from REGISTERs and CDRs for long.
// It returns the rows deleted.
func (s *SQLStore) DeleteExpired(ctx context.Context, now time.Time, bs []Binding) (int, error) {
	total := 0
	for chunk := range slices.Chunk(bs, expiredChunk) {
		var n int64
		err := s.b.Do(ctx, func(ctx context.Context, tx store.Tx) error {
			n = 0
			for _, b := range chunk {
				res, err := tx.Exec(ctx, deleteExpired, b.AOR, b.Contact, nanos(now))
				if err != nil {
					return err
				}
				k, err := res.RowsAffected()
				if err != nil {
					return err
				}
				n += k
			}
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("delete %d expired bindings: %w", len(bs), err)
		}
		total += int(n)
	}
	return total, nil
}

// expiredChunk is how many expired bindings one commit of DeleteExpired deletes.
const expiredChunk = 512

// Stats returns the group-commit writer's counters.
func (s *SQLStore) Stats() store.Stats { return s.b.Stats() }

// Close stops the writer after committing queued writes.
func (s *SQLStore) Close() error { return s.b.Close() }

const upsert = `INSERT INTO registrar_bindings
	(aor, contact, received, transport, expires_ns, q, call_id, cseq, static, updated_ns)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (aor, contact) DO UPDATE SET
	received = excluded.received, transport = excluded.transport, expires_ns = excluded.expires_ns,
	q = excluded.q, call_id = excluded.call_id, cseq = excluded.cseq, static = excluded.static,
	updated_ns = excluded.updated_ns`

const (
	deleteContact = `DELETE FROM registrar_bindings WHERE aor = ? AND contact = ?`
	deleteAOR     = `DELETE FROM registrar_bindings WHERE aor = ?`
	purge         = `DELETE FROM registrar_bindings WHERE static = 0 AND expires_ns <= ?`
	deleteExpired = `DELETE FROM registrar_bindings WHERE aor = ? AND contact = ? AND static = 0 AND expires_ns <= ?`
)

// Put implements Store.
func (s *SQLStore) Put(ctx context.Context, bs ...Binding) error {
	err := s.b.Do(ctx, func(ctx context.Context, tx store.Tx) error {
		for _, b := range bs {
			received := ""
			if b.Received.IsValid() {
				received = b.Received.String()
			}
			if _, err := tx.Exec(ctx, upsert, b.AOR, b.Contact, received, b.Transport,
				nanos(b.Expires), b.Q, b.CallID, int64(b.CSeq), b.Static, nanos(b.UpdatedAt)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put %d bindings: %w", len(bs), err)
	}
	return nil
}

// Delete implements Store.
func (s *SQLStore) Delete(ctx context.Context, aor string, contacts ...string) error {
	err := s.b.Do(ctx, func(ctx context.Context, tx store.Tx) error {
		for _, c := range contacts {
			if _, err := tx.Exec(ctx, deleteContact, aor, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete bindings of %s: %w", aor, err)
	}
	return nil
}

// DeleteAOR implements Store.
func (s *SQLStore) DeleteAOR(ctx context.Context, aor string) error {
	err := s.b.Do(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.Exec(ctx, deleteAOR, aor)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete aor %s: %w", aor, err)
	}
	return nil
}

// Purge implements Store.
func (s *SQLStore) Purge(ctx context.Context, now time.Time) (int, error) {
	var n int64
	err := s.b.Do(ctx, func(ctx context.Context, tx store.Tx) error {
		res, err := tx.Exec(ctx, purge, nanos(now))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("purge bindings: %w", err)
	}
	return int(n), nil
}

const columns = `aor, contact, received, transport, expires_ns, q, call_id, cseq, static, updated_ns`

// Lookup implements Store.
func (s *SQLStore) Lookup(ctx context.Context, aor string) ([]Binding, error) {
	bs, err := s.query(ctx, `SELECT `+columns+` FROM registrar_bindings WHERE aor = ?`, aor)
	if err != nil {
		return nil, fmt.Errorf("lookup %s: %w", aor, err)
	}
	sortBindings(bs)
	return bs, nil
}

// All implements Store.
func (s *SQLStore) All(ctx context.Context) ([]Binding, error) {
	bs, err := s.query(ctx, `SELECT `+columns+` FROM registrar_bindings`)
	if err != nil {
		return nil, fmt.Errorf("load bindings: %w", err)
	}
	return bs, nil
}

func (s *SQLStore) query(ctx context.Context, q string, args ...any) ([]Binding, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var bs []Binding
	for rows.Next() {
		var (
			b                Binding
			received         string
			expires, updated int64
			cseq             int64
		)
		if err := rows.Scan(&b.AOR, &b.Contact, &received, &b.Transport, &expires, &b.Q,
			&b.CallID, &cseq, &b.Static, &updated); err != nil {
			return nil, err
		}
		if received != "" {
			b.Received, _ = netip.ParseAddrPort(received) // written by us from a valid AddrPort
		}
		b.Expires, b.UpdatedAt, b.CSeq = fromNanos(expires), fromNanos(updated), uint32(cseq)
		bs = append(bs, b)
	}
	return bs, rows.Err()
}

// nanos stores a time as Unix nanoseconds; the zero time as 0.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}
