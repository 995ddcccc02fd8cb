package voicemail

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"pbxlab/pbx/internal/store"
)

// Message is one voicemail message as the table keeps it.
type Message struct {
	ID       int64
	Mailbox  string
	Caller   string
	At       time.Time     // when the recording started
	Duration time.Duration // of the recorded audio
	// File is the WAV, relative to the voicemail folder
	// ("<mailbox>/<name>.wav").
	File string
	// New is true until the message was played once (then it is "old",
	// RFC 3842's counts).
	New bool
}

// Counts are a mailbox's messages, as MWI reports them.
type Counts struct{ New, Old int }

func schema() store.Schema {
	return store.Schema{Name: "voicemail", Steps: []string{`
CREATE TABLE voicemail_messages (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	mailbox     TEXT    NOT NULL,
	caller      TEXT    NOT NULL,
	at_ns       INTEGER NOT NULL,
	duration_ms INTEGER NOT NULL,
	file        TEXT    NOT NULL UNIQUE,
	is_new      INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX voicemail_messages_mailbox ON voicemail_messages(mailbox, at_ns)`}}
}

// Store is the table of voicemail messages (SQLite, the PBX's database).
// A row is inserted once its recording is complete and its WAV closed, so
// a crash mid-recording leaves no row pointing at a partial file.
type Store struct{ db *sql.DB }

// OpenStore migrates the table in db.
func OpenStore(ctx context.Context, db *sql.DB) (*Store, error) {
	if err := store.Migrate(ctx, db, schema()); err != nil {
		return nil, fmt.Errorf("open voicemail store: %w", err)
	}
	return &Store{db: db}, nil
}

// Add inserts m (new) and returns its id.
func (s *Store) Add(ctx context.Context, m Message) (int64, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO voicemail_messages(mailbox, caller, at_ns, duration_ms, file, is_new) VALUES(?,?,?,?,?,1)`,
		m.Mailbox, m.Caller, m.At.UnixNano(), m.Duration.Milliseconds(), m.File)
	if err != nil {
		return 0, fmt.Errorf("add message to %s: %w", m.Mailbox, err)
	}
	return res.LastInsertId()
}

// List returns a mailbox's messages: new ones first, each group oldest
// first (the order a retrieval plays them in).
func (s *Store) List(ctx context.Context, mailbox string) ([]Message, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, mailbox, caller, at_ns, duration_ms, file, is_new FROM voicemail_messages
		WHERE mailbox = ? ORDER BY is_new DESC, at_ns, id`, mailbox)
	if err != nil {
		return nil, fmt.Errorf("list mailbox %s: %w", mailbox, err)
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		var (
			m       Message
			at, dur int64
			isNew   int
		)
		if err := rows.Scan(&m.ID, &m.Mailbox, &m.Caller, &at, &dur, &m.File, &isNew); err != nil {
			return nil, fmt.Errorf("list mailbox %s: %w", mailbox, err)
		}
		m.At, m.Duration, m.New = time.Unix(0, at), time.Duration(dur)*time.Millisecond, isNew != 0
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list mailbox %s: %w", mailbox, err)
	}
	return out, nil
}

// Counts returns how many new and old messages a mailbox holds.
func (s *Store) Counts(ctx context.Context, mailbox string) (Counts, error) {
	var c Counts
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(is_new), 0), COUNT(*) - COALESCE(SUM(is_new), 0)
		FROM voicemail_messages WHERE mailbox = ?`, mailbox).Scan(&c.New, &c.Old)
	if err != nil {
		return Counts{}, fmt.Errorf("count mailbox %s: %w", mailbox, err)
	}
	return c, nil
}

// MarkOld marks message id as heard; it reports whether it was new.
func (s *Store) MarkOld(ctx context.Context, id int64) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE voicemail_messages SET is_new = 0 WHERE id = ? AND is_new = 1`, id)
	if err != nil {
		return false, fmt.Errorf("mark message %d old: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Delete removes message id's row and returns its file ("" if none).
func (s *Store) Delete(ctx context.Context, id int64) (string, error) {
	var file string
	err := s.db.QueryRowContext(ctx, `DELETE FROM voicemail_messages WHERE id = ? RETURNING file`, id).Scan(&file)
	switch {
	case err == sql.ErrNoRows:
		return "", nil
	case err != nil:
		return "", fmt.Errorf("delete message %d: %w", id, err)
	}
	return file, nil
}

// Files returns every file the table references (startup's orphan sweep).
func (s *Store) Files(ctx context.Context) (map[string]bool, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT file FROM voicemail_messages`)
	if err != nil {
		return nil, fmt.Errorf("list voicemail files: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var f string
		if err := rows.Scan(&f); err != nil {
			return nil, fmt.Errorf("list voicemail files: %w", err)
		}
		out[f] = true
	}
	return out, rows.Err()
}
