package cdr

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"pbxlab/internal/clock"
	"pbxlab/pbx/internal/store"
)

var update = flag.Bool("update", false, "rewrite golden files")

func open(t *testing.T, path string, c clock.Clock, opts ...Option) *Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, db, append([]Option{WithClock(c)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(); _ = db.Close() })
	return s
}

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func TestRecordsSurviveReopenAndInterruptedCallsAreRecovered(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cdr.db")
	c := clock.NewFake(t0)
	s := open(t, path, c)
	done := Record{CallID: "a", Caller: "1000", Dialled: "1001", Callee: "1001", Setup: t0}
	id, err := s.Begin(ctx, done)
	if err != nil {
		t.Fatal(err)
	}
	done.Answer, done.End, done.Disposition, done.Cause = t0.Add(time.Second), t0.Add(5*time.Second), Answered, 200
	if err := s.Finish(ctx, id, done); err != nil {
		t.Fatal(err)
	}
	idB, err := s.Begin(ctx, Record{CallID: "b", Caller: "1000", Dialled: "1002", Setup: t0.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Answered(ctx, idB, t0.Add(61*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.Answered(ctx, id, t0.Add(time.Hour)); err != nil { // a late answer never rewrites a finished record
		t.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil { // Answered does not wait for its commit
		t.Fatal(err)
	}
	// "crash": reopen the same file without finishing call b.
	c.Advance(time.Hour)
	s2 := open(t, path, c)
	recs, err := s2.List(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("got %d records after reopen, want 2", len(recs))
	}
	if recs[0].Disposition != Answered || recs[0].Cause != 200 || !recs[0].End.Equal(t0.Add(5*time.Second)) {
		t.Errorf("finished record = %+v", recs[0])
	}
	if recs[1].Disposition != Interrupted || !recs[1].End.Equal(t0.Add(time.Hour)) || !recs[1].Answer.Equal(t0.Add(61*time.Second)) {
		t.Errorf("in-flight record after restart = %+v, want INTERRUPTED ended at recovery, answer time kept", recs[1])
	}
	if !recs[0].Answer.Equal(t0.Add(time.Second)) {
		t.Errorf("finished record's answer rewritten: %v", recs[0].Answer)
	}
	if n, _ := s2.Count(ctx); n != 2 {
		t.Errorf("Count = %d", n)
	}
}

func TestListFilters(t *testing.T) {
	ctx := context.Background()
	s := open(t, "", clock.NewFake(t0))
	for i := range 5 {
		if _, err := s.Begin(ctx, Record{CallID: string(rune('a' + i)), Setup: t0.Add(time.Duration(i) * time.Hour), Disposition: Failed, Cause: 404}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		f    Filter
		want int
	}{
		{"all", Filter{}, 5},
		{"since", Filter{Since: t0.Add(2 * time.Hour)}, 3},
		{"until", Filter{Until: t0.Add(2 * time.Hour)}, 2},
		{"window+limit", Filter{Since: t0.Add(time.Hour), Until: t0.Add(4 * time.Hour), Limit: 2}, 2},
		{"limit keeps newest", Filter{Limit: 1}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, err := s.List(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != tc.want {
				t.Fatalf("got %d records, want %d", len(recs), tc.want)
			}
		})
	}
}

func TestFormatGolden(t *testing.T) {
	recs := []Record{
		{ID: 1, CallID: "abc@host", Caller: "1000", Dialled: "1001", Callee: "1001", Setup: t0, Answer: t0.Add(2 * time.Second), End: t0.Add(32 * time.Second), Disposition: Answered, Cause: 200, Reason: "caller hung up"},
		{ID: 2, CallID: "def@host", Caller: "1000", Dialled: "1999", Setup: t0.Add(time.Minute), End: t0.Add(time.Minute), Disposition: Failed, Cause: 404, Reason: "Not Found"},
	}
	for _, f := range []string{FormatTable, FormatCSV, FormatJSON} {
		t.Run(f, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Format(&buf, recs, f); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "format."+f+".golden")
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s output differs from %s:\n%s", f, golden, buf.String())
			}
		})
	}
	if err := Format(&bytes.Buffer{}, recs, "xml"); err == nil {
		t.Error("unknown format accepted")
	}
}

// TestBeginIdsContinueAfterReopen: Begin issues ids itself (it does not wait
// for the insert's commit), so after a reopen they continue past every id
// the table holds or ever issued, a deleted last row's included
// (AUTOINCREMENT's sqlite_sequence); a record begun shows in List at once.
func TestBeginIdsContinueAfterReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cdr.db")
	c := clock.NewFake(t0)
	s := open(t, path, c)
	var ids []int64
	for i := range 3 {
		id, err := s.Begin(ctx, Record{CallID: string(rune('a' + i)), Setup: t0})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if ids[0] != 1 || ids[1] != 2 || ids[2] != 3 {
		t.Fatalf("ids %v, want 1 2 3", ids)
	}
	recs, err := s.List(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || recs[2].ID != 3 || recs[2].CallID != "c" || recs[2].Disposition != InProgress {
		t.Fatalf("List right after Begin = %+v, want the 3 records IN_PROGRESS", recs)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM cdr WHERE id = 3`); err != nil {
		t.Fatal(err)
	}
	s2 := open(t, path, c)
	id, err := s2.Begin(ctx, Record{CallID: "d", Setup: t0})
	if err != nil {
		t.Fatal(err)
	}
	if id != 4 {
		t.Errorf("first id after reopen = %d, want 4 (3 was issued, then deleted)", id)
	}
	if err := s2.Finish(ctx, id, Record{CallID: "d", Setup: t0, End: t0.Add(time.Second), Disposition: Failed, Cause: 404}); err != nil {
		t.Errorf("Finish of a record whose Begin was not awaited: %v", err)
	}
}

// A call that ends before its insert ran is one INSERT carrying the whole
// record; one whose insert ran gets its UPDATEs. Either way the row is the
// same.
func TestWritesBeforeTheInsertChangeTheInsert(t *testing.T) {
	ctx := context.Background()
	// the insert waits for a write that waits however slow this test runs
	s := open(t, filepath.Join(t.TempDir(), "cdr.db"), clock.NewFake(t0), withPostDelay(time.Hour))
	want := Record{CallID: "short", Caller: "1000", Dialled: "1001", Callee: "1001", Setup: t0,
		Answer: t0.Add(time.Second), End: t0.Add(2 * time.Second), Disposition: Answered, Cause: 200, Reason: "BYE"}
	// the insert is posted and waits (postDelay) for a write that waits
	short, err := s.Begin(ctx, Record{CallID: want.CallID, Caller: want.Caller, Dialled: want.Dialled, Setup: want.Setup})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Answered(ctx, short, want.Answer); err != nil {
		t.Fatal(err)
	}
	if err := s.Finish(ctx, short, want); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Commits != 1 || st.Ops != 2 {
		t.Errorf("short call: %d commits of %d Ops, want 1 of 2 (the insert and Finish's wait, no UPDATE)", st.Commits, st.Ops)
	}

	long, err := s.Begin(ctx, Record{CallID: "long", Caller: "1000", Dialled: "1001", Setup: t0})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil { // the insert ran: later writes are UPDATEs
		t.Fatal(err)
	}
	if err := s.Answered(ctx, long, want.Answer); err != nil {
		t.Fatal(err)
	}
	w := want
	w.CallID = "long"
	if err := s.Finish(ctx, long, w); err != nil {
		t.Fatal(err)
	}
	recs, err := s.List(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2", len(recs))
	}
	for i, r := range recs {
		w := want
		w.ID, w.CallID = r.ID, r.CallID
		if r != w {
			t.Errorf("record %d = %+v\nwant %+v", i, r, w)
		}
	}
	// a late answer never rewrites a finished record, queued or not
	late, err := s.Begin(ctx, Record{CallID: "late", Caller: "1000", Dialled: "1001", Setup: t0})
	if err != nil {
		t.Fatal(err)
	}
	w = want
	w.CallID = "late"
	if err := s.Finish(ctx, late, w); err != nil {
		t.Fatal(err)
	}
	if err := s.Answered(ctx, late, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if recs, err = s.List(ctx, Filter{}); err != nil || len(recs) != 3 || !recs[2].Answer.Equal(want.Answer) {
		t.Fatalf("late answer: %v %+v", err, recs)
	}
}
