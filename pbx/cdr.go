package pbx

import (
	"context"
	"fmt"
	"io"
	"os"

	"pbxlab/pbx/internal/cdr"
	"pbxlab/pbx/internal/store"
)

// CDR is one call detail record; CDRFilter selects them; Disposition says
// how the attempt ended.
type (
	CDR         = cdr.Record
	CDRFilter   = cdr.Filter
	Disposition = cdr.Disposition
)

// Dispositions a CDR can carry.
const (
	Answered    = cdr.Answered
	Busy        = cdr.Busy
	NoAnswer    = cdr.NoAnswer
	Cancelled   = cdr.Cancelled
	Failed      = cdr.Failed
	Redirected  = cdr.Redirected
	Rejected    = cdr.Rejected
	InProgress  = cdr.InProgress
	Interrupted = cdr.Interrupted
)

// ListCDRs returns the records of this server matching f.
func (s *Server) ListCDRs(ctx context.Context, f CDRFilter) ([]CDR, error) {
	return s.cdrs.List(ctx, f)
}

// WriteCDRs lists the CDRs in the SQLite store at path (read-only: a running
// PBX keeps owning it) and writes them as table, csv or json.
func WriteCDRs(ctx context.Context, path string, f CDRFilter, format string, w io.Writer) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("open store %s: %w", path, err)
	}
	db, err := store.Open(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	s, err := cdr.Open(ctx, db, cdr.ReadOnly())
	if err != nil {
		return err
	}
	recs, err := s.List(ctx, f)
	if err != nil {
		return fmt.Errorf("%s is not a pbxlab store (or predates CDRs): %w", path, err)
	}
	return cdr.Format(w, recs, format)
}
