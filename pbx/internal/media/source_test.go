package media

import (
	"errors"
	"io"
	"slices"
	"testing"
	"time"
)

// ramp returns n samples 1, 2, … n (every sample distinct and non-zero).
func ramp(from, n int) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(from + i)
	}
	return out
}

// readAll reads src in frames of size until io.EOF or limit samples, and
// checks the Source contract: a short frame only with an error.
func readAll(t *testing.T, src Source, size, limit int) []int16 {
	t.Helper()
	var out []int16
	frame := make([]int16, size)
	for len(out) < limit {
		n, err := src.Read(frame)
		if n < 0 || n > size {
			t.Fatalf("Read returned n=%d for a frame of %d", n, size)
		}
		out = append(out, frame[:n]...)
		if err != nil {
			if n2, err2 := src.Read(frame); n2 != 0 || err2 == nil {
				t.Fatalf("after %v, Read returned %d, %v", err, n2, err2)
			}
			if err != io.EOF {
				t.Fatalf("Read: %v", err)
			}
			return out
		}
		if n != size {
			t.Fatalf("short frame (%d of %d) without an error", n, size)
		}
	}
	return out
}

func TestSamplesAndDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want int
	}{
		{0, 0}, {-time.Second, 0}, {time.Second, 8000}, {20 * time.Millisecond, 160},
		{time.Millisecond, 8}, {125 * time.Microsecond, 1}, {62500 * time.Nanosecond, 1}, {62499 * time.Nanosecond, 0},
	} {
		if got := Samples(tc.d); got != tc.want {
			t.Errorf("Samples(%v) = %d, want %d", tc.d, got, tc.want)
		}
	}
	if got := DurationOf(FrameSamples); got != FrameDuration {
		t.Errorf("DurationOf(%d) = %v, want %v", FrameSamples, got, FrameDuration)
	}
}

func TestClipSource(t *testing.T) {
	c := NewClip(ramp(1, 400))
	if c.Len() != 400 || c.Duration() != 50*time.Millisecond {
		t.Fatalf("Len %d Duration %v", c.Len(), c.Duration())
	}
	for _, size := range []int{1, 7, 160, 400, 1000} {
		got := readAll(t, c.Source(), size, 1<<20)
		if !slices.Equal(got, c.Samples()) {
			t.Errorf("frame %d: read %d samples, not the clip", size, len(got))
		}
	}
	// Two readers are independent.
	a, b := c.Source(), c.Source()
	f := make([]int16, 160)
	if _, err := a.Read(f); err != nil {
		t.Fatal(err)
	}
	if n, _ := b.Read(f); n != 160 || f[0] != 1 {
		t.Fatalf("second reader starts at %d", f[0])
	}
	// Samples is a copy.
	s := c.Samples()
	s[0] = 99
	if c.Samples()[0] != 1 {
		t.Fatal("Samples exposes the clip")
	}
}

func TestSilence(t *testing.T) {
	src := Silence(50 * time.Millisecond)
	frame := make([]int16, 160)
	for i := range frame {
		frame[i] = 7
	}
	got := readAll(t, src, 160, 1<<20)
	if len(got) != 400 {
		t.Fatalf("50 ms of silence is %d samples, want 400", len(got))
	}
	for i, v := range got {
		if v != 0 {
			t.Fatalf("sample %d = %d", i, v)
		}
	}
	if n, err := Silence(0).Read(frame); n != 0 || err != io.EOF {
		t.Fatalf("empty silence: %d, %v", n, err)
	}
}

func TestSequenceFillsAcrossBoundaries(t *testing.T) {
	parts := []*Clip{NewClip(ramp(1, 100)), NewClip(nil), NewClip(ramp(101, 250)), NewClip(ramp(351, 3))}
	var want []int16
	var srcs []Source
	for _, p := range parts {
		want = append(want, p.Samples()...)
		srcs = append(srcs, p.Source())
	}
	seq := Sequence(srcs...)
	got := readAll(t, seq, 160, 1<<20)
	if !slices.Equal(got, want) {
		t.Fatalf("sequence read %d samples, want %d in order", len(got), len(want))
	}
	if err := seq.(Rewinder).Rewind(); err != nil {
		t.Fatal(err)
	}
	if again := readAll(t, seq, 33, 1<<20); !slices.Equal(again, want) {
		t.Fatal("rewound sequence differs")
	}
	if got := readAll(t, Sequence(), 160, 10); len(got) != 0 {
		t.Fatal("empty sequence returned samples")
	}
}

// failing returns n samples then err.
type failing struct {
	n   int
	err error
}

func (f *failing) Read(frame []int16) (int, error) {
	k := min(len(frame), f.n)
	f.n -= k
	if k < len(frame) {
		return k, f.err
	}
	return k, nil
}

// stuck returns nothing and no error: a broken Source.
type stuck struct{}

func (stuck) Read([]int16) (int, error) { return 0, nil }

func TestSequenceErrors(t *testing.T) {
	boom := errors.New("boom")
	seq := Sequence(NewClip(ramp(1, 10)).Source(), &failing{n: 5, err: boom}, NewClip(ramp(1, 10)).Source())
	frame := make([]int16, 160)
	n, err := seq.Read(frame)
	if n != 15 || !errors.Is(err, boom) {
		t.Fatalf("got %d, %v; want 15, boom", n, err)
	}
	if n, err := seq.Read(frame); n != 0 || !errors.Is(err, boom) {
		t.Fatalf("after the error: %d, %v", n, err)
	}
	if _, err := Sequence(stuck{}).Read(frame); !errors.Is(err, io.ErrNoProgress) {
		t.Fatalf("stuck part: %v", err)
	}
	if err := Sequence(&failing{}).(Rewinder).Rewind(); !errors.Is(err, ErrNotRewindable) {
		t.Fatalf("rewind of a non-rewindable part: %v", err)
	}
}

func TestLooping(t *testing.T) {
	clip := NewClip(ramp(1, 70))
	loop := Looping(clip.Source())
	got := readAll(t, loop, 160, 1000)
	if len(got) != 1120 {
		t.Fatalf("read %d samples, want 1120 (never ends)", len(got))
	}
	for i, v := range got {
		if want := int16(1 + i%70); v != want {
			t.Fatalf("sample %d = %d, want %d", i, v, want)
		}
	}
	// Not rewindable: one pass, then the error.
	n, err := Looping(&failing{n: 100, err: io.EOF}).Read(make([]int16, 160))
	if n != 100 || !errors.Is(err, ErrNotRewindable) {
		t.Fatalf("non-rewindable: %d, %v", n, err)
	}
	// Empty: ends instead of spinning.
	if n, err := Looping(Silence(0)).Read(make([]int16, 160)); n != 0 || err != io.EOF {
		t.Fatalf("empty loop: %d, %v", n, err)
	}
	if _, err := Looping(stuck{}).Read(make([]int16, 160)); !errors.Is(err, io.ErrNoProgress) {
		t.Fatalf("stuck loop: %v", err)
	}
	// A loop of a clip exactly one frame long.
	one := Looping(NewClip(ramp(1, 160)).Source())
	if got := readAll(t, one, 160, 640); len(got) != 640 || got[160] != 1 || got[639] != 160 {
		t.Fatalf("frame-sized loop read %d samples", len(got))
	}
}

func TestLimit(t *testing.T) {
	got := readAll(t, Limit(Looping(NewClip(ramp(1, 70)).Source()), 30*time.Millisecond), 160, 1<<20)
	if len(got) != 240 || got[70] != 1 {
		t.Fatalf("limited loop read %d samples", len(got))
	}
	got = readAll(t, Limit(NewClip(ramp(1, 50)).Source(), time.Second), 160, 1<<20)
	if len(got) != 50 {
		t.Fatalf("limit longer than the source read %d samples", len(got))
	}
	l := Limit(NewClip(ramp(1, 500)).Source(), 20*time.Millisecond)
	_ = readAll(t, l, 160, 1<<20)
	if err := l.(Rewinder).Rewind(); err != nil {
		t.Fatal(err)
	}
	if again := readAll(t, l, 160, 1<<20); len(again) != 160 || again[0] != 1 {
		t.Fatal("rewound limit differs")
	}
}

func TestCollect(t *testing.T) {
	got, err := Collect(NewClip(ramp(1, 500)).Source(), 1000)
	if err != nil || len(got) != 500 {
		t.Fatalf("Collect: %d samples, %v", len(got), err)
	}
	got, err = Collect(Looping(NewClip(ramp(1, 10)).Source()), 1000)
	if !errors.Is(err, io.ErrShortBuffer) || len(got) != 1000 {
		t.Fatalf("Collect of a loop: %d samples, %v", len(got), err)
	}
	boom := errors.New("boom")
	if _, err := Collect(&failing{n: 3, err: boom}, 100); !errors.Is(err, boom) {
		t.Fatalf("Collect error: %v", err)
	}
}

func TestMultiSink(t *testing.T) {
	var a, b []int16
	s := MultiSink(SinkFunc(func(f []int16) { a = append(a, f...) }), SinkFunc(func(f []int16) { b = append(b, f...) }))
	s.Write(ramp(1, 5))
	s.Write(ramp(6, 5))
	if !slices.Equal(a, ramp(1, 10)) || !slices.Equal(b, a) {
		t.Fatalf("sinks got %v and %v", a, b)
	}
}
