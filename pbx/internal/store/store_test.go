package store

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"pbxlab/internal/testproc"
)

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestOpenPragmas(t *testing.T) {
	checkNoLeak(t)
	ctx := testCtx(t)
	tests := []struct {
		name     string
		path     string
		wantMode string
		wantSync int // 1 = NORMAL
	}{
		{"file", filepath.Join(t.TempDir(), "pbx.db"), "wal", 1},
		{"file name needing escapes", filepath.Join(t.TempDir(), "a b?c#d%20.db"), "wal", 1},
		{"memory", "", "memory", -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db, err := Open(ctx, tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if tc.path != "" {
				if _, err := os.Stat(tc.path); err != nil {
					t.Fatalf("database not created at the exact path: %v", err)
				}
			}
			var mode string
			var busy, fk, syncMode int
			if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
				t.Fatal(err)
			}
			if err := db.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy); err != nil {
				t.Fatal(err)
			}
			if err := db.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
				t.Fatal(err)
			}
			if err := db.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&syncMode); err != nil {
				t.Fatal(err)
			}
			if mode != tc.wantMode || busy != busyTimeoutMS || fk != 1 {
				t.Fatalf("journal_mode=%q busy_timeout=%d foreign_keys=%d", mode, busy, fk)
			}
			if tc.wantSync >= 0 && syncMode != tc.wantSync {
				t.Fatalf("synchronous=%d, want %d", syncMode, tc.wantSync)
			}
		})
	}
}

func TestOpenMemoryIsPrivate(t *testing.T) {
	checkNoLeak(t)
	ctx := testCtx(t)
	a, err := Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := a.ExecContext(ctx, "CREATE TABLE only_in_a(x)"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.ExecContext(ctx, "SELECT * FROM only_in_a"); err == nil {
		t.Fatal("second in-memory database sees the first one's table")
	}
}

func TestMigrate(t *testing.T) {
	checkNoLeak(t)
	ctx := testCtx(t)
	db, err := Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	v1 := Schema{Name: "a", Steps: []string{"CREATE TABLE a1(x); CREATE TABLE a2(y)"}}
	v2 := Schema{Name: "a", Steps: append(v1.Steps, "ALTER TABLE a1 ADD COLUMN z")}
	other := Schema{Name: "b", Steps: []string{"CREATE TABLE b1(x)"}}
	for _, s := range []Schema{v1, v1, other, v2, v2} {
		if err := Migrate(ctx, db, s); err != nil {
			t.Fatalf("migrate %s (%d steps): %v", s.Name, len(s.Steps), err)
		}
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO a1(x, z) VALUES (1, 2); INSERT INTO a2(y) VALUES (3); INSERT INTO b1(x) VALUES (4)"); err != nil {
		t.Fatal(err)
	}
	if err := Migrate(ctx, db, v1); !errors.Is(err, ErrSchema) {
		t.Fatalf("downgrade: err = %v, want ErrSchema", err)
	}
	bad := Schema{Name: "c", Steps: []string{"CREATE TABLE c1(x)", "NOT SQL"}}
	if err := Migrate(ctx, db, bad); err == nil {
		t.Fatal("bad step accepted")
	}
	var ver int
	if err := db.QueryRowContext(ctx, "SELECT version FROM schema_migrations WHERE name='c'").Scan(&ver); err != nil || ver != 1 {
		t.Fatalf("after failed step 2: version %d, %v; want 1", ver, err)
	}
}

func newTable(t *testing.T, ctx context.Context) *sql.DB {
	t.Helper()
	db, err := Open(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.ExecContext(ctx, "CREATE TABLE kv(k INTEGER PRIMARY KEY, v TEXT NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	return db
}

func insert(k int, v string) Op {
	return func(ctx context.Context, tx Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO kv(k, v) VALUES(?, ?)", k, v)
		return err
	}
}

func count(t *testing.T, ctx context.Context, db *sql.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM kv").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestBatcherConcurrentDoAllCommitted(t *testing.T) {
	checkNoLeak(t)
	ctx := testCtx(t)
	db := newTable(t, ctx)
	b := NewBatcher(db, WithMaxBatch(8))
	const n = 200
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- b.Do(ctx, insert(i, fmt.Sprint(i)))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if got := count(t, ctx, db); got != n {
		t.Fatalf("rows = %d, want %d", got, n)
	}
	if err := b.Do(ctx, insert(n+1, "late")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Do after Close: %v, want ErrClosed", err)
	}
}

func TestBatcherFailingOpIsolated(t *testing.T) {
	checkNoLeak(t)
	ctx := testCtx(t)
	db := newTable(t, ctx)
	b := NewBatcher(db)
	defer b.Close()
	if err := b.Do(ctx, insert(1, "one")); err != nil {
		t.Fatal(err)
	}
	// An op that writes and then fails must leave nothing behind.
	failing := func(ctx context.Context, tx Tx) error {
		if _, err := tx.Exec(ctx, "INSERT INTO kv(k, v) VALUES(2, 'two')"); err != nil {
			return err
		}
		return insert(1, "dup")(ctx, tx)
	}
	if err := b.Do(ctx, failing); err == nil {
		t.Fatal("duplicate key accepted")
	}
	if err := b.Do(ctx, insert(3, "three")); err != nil {
		t.Fatal(err)
	}
	if got := count(t, ctx, db); got != 2 {
		t.Fatalf("rows = %d, want 2 (1 and 3)", got)
	}
}

func TestBatcherCancelledBeforeStartIsSkipped(t *testing.T) {
	checkNoLeak(t)
	ctx := testCtx(t)
	db := newTable(t, ctx)
	b := NewBatcher(db)
	defer b.Close()
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := b.Do(cctx, insert(1, "x")); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if got := count(t, ctx, db); got != 0 {
		t.Fatalf("rows = %d, want 0", got)
	}
}

// TestCommitSurvivesKill runs a child process that commits through a
// Batcher, reports it, and is then killed with SIGKILL; the committed rows
// must be there when the database is opened again.
func TestCommitSurvivesKill(t *testing.T) {
	if os.Getenv("PBXLAB_STORE_CHILD") != "" {
		childCommitAndHang()
		return
	}
	ctx := testCtx(t)
	path := filepath.Join(t.TempDir(), "kill.db")
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestCommitSurvivesKill$")
	cmd.Env = append(os.Environ(), "PBXLAB_STORE_CHILD="+path)
	out, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd.Stdout = w
	child := testproc.StartTB(t, cmd) // own process group, dies with this test
	_ = w.Close()
	sc := bufio.NewScanner(out)
	committed := false
	for sc.Scan() {
		if sc.Text() == "committed" {
			committed = true
			break
		}
	}
	if err := child.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait(ctx)
	if !committed {
		t.Fatal("child never reported its commit")
	}
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := count(t, ctx, db); got != 50 {
		t.Fatalf("rows after kill -9 = %d, want 50", got)
	}
}

func childCommitAndHang() {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	db, err := Open(ctx, os.Getenv("PBXLAB_STORE_CHILD"))
	if err != nil {
		return
	}
	if _, err := db.ExecContext(ctx, "CREATE TABLE kv(k INTEGER PRIMARY KEY, v TEXT NOT NULL)"); err != nil {
		return
	}
	b := NewBatcher(db)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = b.Do(ctx, insert(i, "v"))
		}()
	}
	wg.Wait()
	os.Stdout.WriteString("committed\n")
	<-ctx.Done() // killed long before this
}

// A posted Op waits (postDelay) for a Do to share its commit; in a batch
// where another Op fails it is still committed (the savepoint rerun), and
// the Do returns only after it.
func TestBatcherPostRidesWithNextDo(t *testing.T) {
	checkNoLeak(t)
	ctx := testCtx(t)
	db := newTable(t, ctx)
	b := NewBatcher(db, WithPostDelay(time.Minute))
	defer b.Close()
	if err := b.Do(ctx, insert(1, "one")); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	if err := b.Post(cctx, insert(5, "posted")); err != nil {
		t.Fatal(err)
	}
	cancel() // the poster's context ends at once: the write must still happen
	if err := b.Do(ctx, insert(1, "dup")); err == nil {
		t.Fatal("duplicate key accepted")
	}
	if got := count(t, ctx, db); got != 2 {
		t.Fatalf("rows = %d, want 2 (1 and the posted 5)", got)
	}
	if st := b.Stats(); st.Commits != 2 {
		t.Errorf("commits = %d, want 2 (the posted write shared the second)", st.Commits)
	}
}

// Close commits what was posted and nobody waited for.
func TestBatcherPostCommittedByClose(t *testing.T) {
	checkNoLeak(t)
	ctx := testCtx(t)
	db := newTable(t, ctx)
	b := NewBatcher(db, WithPostDelay(time.Minute))
	for i := range 3 {
		if err := b.Post(ctx, insert(i, "p")); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if got := count(t, ctx, db); got != 3 {
		t.Fatalf("rows = %d, want 3", got)
	}
	if err := b.Post(ctx, insert(9, "late")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Post after Close: %v, want ErrClosed", err)
	}
}

// TestBatcherCommitDelay (virtual time, testing/synctest): a Do after a
// quiet spell commits at once; Dos arriving within the window after a
// commit wait for its end and share one commit; after another quiet
// spell a Do commits at once again.
func TestBatcherCommitDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		db := newTable(t, ctx)
		const window = 10 * time.Millisecond
		b := NewBatcher(db, WithCommitDelay(window))
		defer b.Close()
		timed := func(op Op) time.Duration {
			start := time.Now()
			if err := b.Do(ctx, op); err != nil {
				t.Fatal(err)
			}
			return time.Since(start)
		}
		if d := timed(insert(1, "first")); d != 0 {
			t.Errorf("the first Do waited %s; nothing had committed before it", d)
		}
		var wg sync.WaitGroup
		waited := make([]time.Duration, 4)
		for i := range waited {
			wg.Go(func() { waited[i] = timed(insert(10+i, "burst")) })
		}
		wg.Wait()
		for i, d := range waited {
			if d != window {
				t.Errorf("Do %d of the burst waited %s, want the window (%s)", i, d, window)
			}
		}
		if st := b.Stats(); st.Commits != 2 || st.Ops != 5 {
			t.Errorf("stats %+v, want 2 commits of 5 ops (the burst shared one)", st)
		}
		time.Sleep(2 * window)
		if d := timed(insert(2, "after a quiet spell")); d != 0 {
			t.Errorf("a Do after a quiet spell waited %s", d)
		}
		if got := count(t, ctx, db); got != 6 {
			t.Errorf("rows = %d, want 6", got)
		}
	})
}

// TestBatcherGroupSize (virtual time): within the commit delay, a burst
// commits as soon as the group size shares the commit, without waiting
// for the window's end; a burst smaller than the group waits for it.
func TestBatcherGroupSize(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		db := newTable(t, ctx)
		const window = time.Hour // never reached by a full group
		b := NewBatcher(db, WithCommitDelay(window), WithGroupSize(3))
		defer b.Close()
		burst := func(first, n int) []time.Duration {
			var wg sync.WaitGroup
			waited := make([]time.Duration, n)
			for i := range waited {
				wg.Go(func() {
					start := time.Now()
					if err := b.Do(ctx, insert(first+i, "burst")); err != nil {
						t.Error(err)
					}
					waited[i] = time.Since(start)
				})
			}
			wg.Wait()
			return waited
		}
		if w := burst(1, 1); w[0] != 0 {
			t.Errorf("the first Do waited %s; nothing had committed before it", w[0])
		}
		for i, d := range burst(10, 3) {
			if d != 0 {
				t.Errorf("Do %d of a full group waited %s, want 0 (the group ends the delay)", i, d)
			}
		}
		if st := b.Stats(); st.Commits != 2 || st.Ops != 4 {
			t.Errorf("stats %+v, want 2 commits of 4 ops (the group shared one)", st)
		}
		for i, d := range burst(20, 2) {
			if d != window {
				t.Errorf("Do %d of a smaller burst waited %s, want the window (%s)", i, d, window)
			}
		}
		if got := count(t, ctx, db); got != 6 {
			t.Errorf("rows = %d, want 6", got)
		}
	})
}
