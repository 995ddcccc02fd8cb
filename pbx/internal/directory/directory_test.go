package directory

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/store"
)

var base = []config.Subscriber{
	{Number: "1001", Password: "pw1001", Realm: "pbxlab"},
	{Number: "1002", Password: "pw1002", Realm: "pbxlab", Contacts: []string{"sip:1002@192.0.2.1"}},
}

func newDir(t *testing.T, st Store) *Directory {
	t.Helper()
	d, err := New(t.Context(), base, st)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// op is one change of a table test.
type op struct {
	do      string // add, suspend, resume, delete
	number  string
	wantErr error
}

func (o op) apply(ctx context.Context, d *Directory) error {
	switch o.do {
	case "add":
		_, err := d.Add(ctx, config.Subscriber{Number: o.number, Password: "new" + o.number, Realm: "pbxlab"}, nil)
		return err
	case "suspend":
		_, err := d.Suspend(ctx, o.number)
		return err
	case "resume":
		_, err := d.Resume(ctx, o.number)
		return err
	case "delete":
		return d.Delete(ctx, o.number)
	}
	panic("unknown op " + o.do)
}

// want is the expected entry of a number after the ops ("" state: absent).
type want struct {
	number   string
	state    State
	password string
	runtime  bool
}

func TestDirectory(t *testing.T) {
	for _, tc := range []struct {
		name string
		ops  []op
		want []want
	}{
		{"base only", nil, []want{{"1001", Active, "pw1001", false}, {"1003", "", "", false}}},
		{"add", []op{{"add", "1003", nil}}, []want{{"1003", Active, "new1003", true}}},
		{"add existing", []op{{"add", "1001", ErrExists}}, []want{{"1001", Active, "pw1001", false}}},
		{"add twice", []op{{"add", "1003", nil}, {"add", "1003", ErrExists}}, []want{{"1003", Active, "new1003", true}}},
		{"suspend base", []op{{"suspend", "1001", nil}}, []want{{"1001", Suspended, "pw1001", false}}},
		{"suspend twice", []op{{"suspend", "1001", nil}, {"suspend", "1001", nil}}, []want{{"1001", Suspended, "pw1001", false}}},
		{"suspend added", []op{{"add", "1003", nil}, {"suspend", "1003", nil}}, []want{{"1003", Suspended, "new1003", true}}},
		{"suspend unknown", []op{{"suspend", "1009", ErrNotFound}}, []want{{"1009", "", "", false}}},
		{"resume", []op{{"suspend", "1002", nil}, {"resume", "1002", nil}}, []want{{"1002", Active, "pw1002", false}}},
		{"resume active", []op{{"resume", "1002", nil}}, []want{{"1002", Active, "pw1002", false}}},
		{"resume unknown", []op{{"resume", "1009", ErrNotFound}}, nil},
		{"delete base", []op{{"delete", "1001", nil}}, []want{{"1001", "", "", false}, {"1002", Active, "pw1002", false}}},
		{"delete twice", []op{{"delete", "1001", nil}, {"delete", "1001", ErrNotFound}}, []want{{"1001", "", "", false}}},
		{"delete added", []op{{"add", "1003", nil}, {"delete", "1003", nil}}, []want{{"1003", "", "", false}}},
		{"delete suspended", []op{{"suspend", "1001", nil}, {"delete", "1001", nil}}, []want{{"1001", "", "", false}}},
		{"suspend deleted", []op{{"delete", "1001", nil}, {"suspend", "1001", ErrNotFound}}, []want{{"1001", "", "", false}}},
		{"re-add deleted base", []op{{"delete", "1001", nil}, {"add", "1001", nil}}, []want{{"1001", Active, "new1001", true}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, withStore := range []bool{false, true} {
				var st Store
				if withStore {
					st = memStore(t)
				}
				d := newDir(t, st)
				for i, o := range tc.ops {
					if err := o.apply(t.Context(), d); !errors.Is(err, o.wantErr) {
						t.Fatalf("op %d %s %s: error %v, want %v", i, o.do, o.number, err, o.wantErr)
					}
				}
				check(t, d, tc.want)
				if withStore { // the same directory after a restart
					check(t, newDir(t, st), tc.want)
				}
			}
		})
	}
}

func check(t *testing.T, d *Directory, wants []want) {
	t.Helper()
	for _, w := range wants {
		e, ok := d.Get(w.number)
		if ok != (w.state != "") {
			t.Errorf("Get(%s) found %v, want %v", w.number, ok, w.state != "")
			continue
		}
		if !ok {
			if _, ok := d.Lookup(w.number); ok || d.Suspended(w.number) {
				t.Errorf("Lookup(%s) finds an absent number", w.number)
			}
			continue
		}
		if e.State != w.state || e.Password != w.password || e.Runtime != w.runtime || e.Number != w.number {
			t.Errorf("Get(%s) = %+v, want %+v", w.number, e, w)
		}
		if d.Suspended(w.number) != (w.state == Suspended) {
			t.Errorf("Suspended(%s) = %v", w.number, d.Suspended(w.number))
		}
		if !slices.ContainsFunc(d.All(), func(a Entry) bool { return a.Number == w.number && a.State == w.state }) {
			t.Errorf("All() lacks %s", w.number)
		}
	}
}

func memStore(t *testing.T) *SQLStore {
	t.Helper()
	db, err := store.Open(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	st, err := NewSQLStore(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestDirectoryRestartOnFile: the changes survive closing and reopening
// the database file; the base keeps what the overlay does not change.
func TestDirectoryRestartOnFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pbx.db")
	open := func() (*Directory, func()) {
		db, err := store.Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		st, err := NewSQLStore(t.Context(), db)
		if err != nil {
			t.Fatal(err)
		}
		d, err := New(t.Context(), base, st)
		if err != nil {
			t.Fatal(err)
		}
		return d, func() { _ = db.Close() }
	}
	d, closeDB := open()
	ctx := t.Context()
	if _, err := d.Add(ctx, config.Subscriber{Number: "2001", Password: "pw", Realm: "office", DisplayName: "Ann", Device: "gw1"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Suspend(ctx, "1001"); err != nil {
		t.Fatal(err)
	}
	if err := d.Delete(ctx, "1002"); err != nil {
		t.Fatal(err)
	}
	closeDB()
	d, closeDB = open()
	defer closeDB()
	e, ok := d.Get("2001")
	if !ok || e.Password != "pw" || e.Realm != "office" || e.DisplayName != "Ann" || e.Device != "gw1" || !e.Runtime || e.State != Active {
		t.Errorf("2001 after restart: %+v, %v", e, ok)
	}
	if !d.Suspended("1001") {
		t.Error("1001 is not suspended after restart")
	}
	if _, ok := d.Lookup("1002"); ok {
		t.Error("1002 is back after restart")
	}
	if got := d.Defined(); len(got) != 1 || got[0].Number != "2001" {
		t.Errorf("Defined() = %+v", got)
	}
}

// TestDirectoryDroppedBase: a stored state of a configured number the
// configuration no longer has brings nothing back.
func TestDirectoryDroppedBase(t *testing.T) {
	st := memStore(t)
	if err := st.Put(t.Context(), Record{Number: "1005", State: Suspended}); err != nil {
		t.Fatal(err)
	}
	d := newDir(t, st)
	if _, ok := d.Get("1005"); ok || d.Suspended("1005") || len(d.All()) != len(base) {
		t.Errorf("1005 came back: %+v", d.All())
	}
	if _, err := d.Add(t.Context(), config.Subscriber{Number: "1005", Password: "p"}, nil); err != nil {
		t.Fatalf("the number is free: %v", err)
	}
	if e, ok := d.Get("1005"); !ok || e.State != Active {
		t.Errorf("added 1005: %+v %v", e, ok)
	}
}

// failStore refuses every write.
type failStore struct{ Store }

var errDisk = errors.New("disk full")

func (failStore) Put(context.Context, Record) error      { return errDisk }
func (failStore) Remove(context.Context, string) error   { return errDisk }
func (failStore) Load(context.Context) ([]Record, error) { return nil, nil }

// TestDirectoryStoreFailure: a change the store refuses is not applied.
func TestDirectoryStoreFailure(t *testing.T) {
	d := newDir(t, failStore{})
	ctx := t.Context()
	if _, err := d.Add(ctx, config.Subscriber{Number: "1003"}, nil); !errors.Is(err, errDisk) {
		t.Errorf("Add: %v", err)
	}
	if _, err := d.Suspend(ctx, "1001"); !errors.Is(err, errDisk) {
		t.Errorf("Suspend: %v", err)
	}
	if err := d.Delete(ctx, "1002"); !errors.Is(err, errDisk) {
		t.Errorf("Delete: %v", err)
	}
	check(t, d, []want{{"1001", Active, "pw1001", false}, {"1002", Active, "pw1002", false}, {"1003", "", "", false}})
}

// TestDirectoryAddCheck: a check that refuses keeps the number free.
func TestDirectoryAddCheck(t *testing.T) {
	d := newDir(t, nil)
	refuse := errors.New("plan conflict")
	var seen []config.Subscriber
	_, err := d.Add(t.Context(), config.Subscriber{Number: "1003"}, func(defined []config.Subscriber) error {
		seen = defined
		return refuse
	})
	if !errors.Is(err, refuse) || len(seen) != 1 || seen[0].Number != "1003" {
		t.Errorf("Add = %v, check saw %+v", err, seen)
	}
	if _, ok := d.Lookup("1003"); ok {
		t.Error("refused number added")
	}
}

// TestDirectoryConcurrent: readers never block or see a torn state while
// writers change the directory (run with -race).
func TestDirectoryConcurrent(t *testing.T) {
	d := newDir(t, memStore(t))
	ctx := t.Context()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if e, ok := d.Get("1001"); !ok || e.Password != "pw1001" {
					t.Errorf("1001 torn: %+v %v", e, ok)
					return
				}
				_ = d.All()
			}
		})
	}
	for i := range 50 {
		n := "3" + string(rune('0'+i/10)) + string(rune('0'+i%10))
		if _, err := d.Add(ctx, config.Subscriber{Number: n}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Suspend(ctx, "1001"); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Resume(ctx, "1001"); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if got := len(d.Defined()); got != 50 {
		t.Errorf("%d defined, want 50", got)
	}
}
