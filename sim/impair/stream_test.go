package impair

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// arrival is when a reader got how many bytes (virtual time).
type arrival struct {
	at time.Duration
	n  int
}

// readAll reads r until EOF or an error, recording when each read
// returned, relative to start.
func readAll(r io.Reader, start time.Time) ([]byte, []arrival, error) {
	var got []byte
	var log []arrival
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			got = append(got, buf[:n]...)
			log = append(log, arrival{time.Since(start), n})
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = nil
			}
			return got, log, err
		}
	}
}

// transfer writes msgs through w, one Write each, sleeping gap[i] before
// message i, then closes w; it reads everything at r and returns what
// arrived and when (virtual time from the first write). Run in a bubble.
func transfer(t *testing.T, w io.WriteCloser, r io.Reader, msgs [][]byte, gaps []time.Duration) ([]byte, []arrival) {
	t.Helper()
	start := time.Now()
	var wg sync.WaitGroup
	wg.Go(func() {
		for i, m := range msgs {
			time.Sleep(gaps[i])
			if _, err := w.Write(m); err != nil {
				t.Errorf("write %d: %v", i, err)
				return
			}
		}
	})
	var got []byte
	var log []arrival
	var rerr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		got, log, rerr = readAll(r, start)
	}()
	wg.Wait()
	want := 0
	for _, m := range msgs {
		want += len(m)
	}
	// let every delayed byte through, then end the stream
	for range 1000 {
		time.Sleep(time.Minute)
		synctest.Wait()
		if lenOf(log) >= want {
			break
		}
	}
	_ = w.Close()
	<-done
	if rerr != nil && !errors.Is(rerr, net.ErrClosed) && !errors.Is(rerr, io.ErrClosedPipe) {
		t.Fatalf("read: %v", rerr)
	}
	return got, log
}

func lenOf(log []arrival) int {
	n := 0
	for _, a := range log {
		n += a.n
	}
	return n
}

// messages draws n messages of 1..1500 random bytes and gaps of 0..300 ms.
func messages(seed uint64, n int) ([][]byte, []time.Duration) {
	rng := rand.New(rand.NewPCG(seed, 1))
	msgs := make([][]byte, n)
	gaps := make([]time.Duration, n)
	for i := range msgs {
		msgs[i] = make([]byte, 1+rng.IntN(1500))
		for j := range msgs[i] {
			msgs[i][j] = byte(rng.Uint32())
		}
		gaps[i] = time.Duration(rng.IntN(300)) * time.Millisecond
	}
	return msgs, gaps
}

// TestStreamDeliversEveryByteInOrder: whatever the loss, delay and jitter,
// a stream delivers every byte written, once and in order, both ways (the
// Stream writing, and the Stream reading). A property over seeds.
func TestStreamDeliversEveryByteInOrder(t *testing.T) {
	cfg := Config{Loss: 30, Delay: 20 * time.Millisecond, Jitter: 50 * time.Millisecond}
	for seed := range uint64(8) {
		msgs, gaps := messages(seed, 60)
		want := bytes.Join(msgs, nil)
		for _, dir := range []string{"out", "in"} {
			t.Run(fmt.Sprintf("seed%d/%s", seed, dir), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					a, b := net.Pipe()
					s, err := WrapStream(a, cfg, int64(seed))
					if err != nil {
						t.Fatal(err)
					}
					defer s.Close()
					var got []byte
					if dir == "out" {
						got, _ = transfer(t, s, b, msgs, gaps)
					} else {
						got, _ = transfer(t, b, s, msgs, gaps)
					}
					if !bytes.Equal(got, want) {
						t.Fatalf("got %d bytes, want the %d written, in order", len(got), len(want))
					}
					st := s.Stats()
					if st.SentRetrans+st.RecvRetrans == 0 {
						t.Errorf("stats %+v: 30 %% loss on 60 segments and no retransmission", st)
					}
				})
			})
		}
	}
}

// TestStreamLossIsRetransmissionDelay: a lost segment arrives after the
// RTO, doubled at each further loss: with segments far enough apart that
// none waits behind another, each one's delay is 0, 200 ms, 600 ms,
// 1.4 s…, and the retransmissions counted add up.
func TestStreamLossIsRetransmissionDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := net.Pipe()
		s, err := WrapStream(a, Config{Loss: 50}, 9)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		const n, spacing = 40, 20 * time.Minute // longer than 15 doubled RTOs
		msgs := make([][]byte, n)
		gaps := make([]time.Duration, n)
		for i := range msgs {
			msgs[i] = []byte{byte(i)}
			gaps[i] = spacing
		}
		gaps[0] = 0
		_, log := transfer(t, s, b, msgs, gaps)
		if len(log) != n {
			t.Fatalf("%d reads, want %d (one per segment)", len(log), n)
		}
		var total uint64
		for i, arr := range log {
			d := arr.at - time.Duration(i)*spacing
			r, ok := retransmissions(d)
			if !ok {
				t.Fatalf("segment %d delayed %v: not a sum of doubled RTOs", i, d)
			}
			total += uint64(r)
		}
		if st := s.Stats(); st.SentRetrans != total || total == 0 {
			t.Fatalf("%d retransmissions counted, %d seen in the delays; want equal and some", st.SentRetrans, total)
		}
	})
}

// retransmissions says how many doubled RTOs add up to d.
func retransmissions(d time.Duration) (int, bool) {
	sum, rto := time.Duration(0), DefaultRTO
	for r := 0; r <= MaxRetransmits; r++ {
		if sum == d {
			return r, true
		}
		sum += rto
		rto = min(2*rto, maxRTO)
	}
	return 0, false
}

// TestStreamDelayNeverReorders: with a jitter larger than the gaps between
// writes, each segment arrives no earlier than Delay-Jitter after it was
// written, never before the one before it (arrivals nondecreasing, bytes
// in order), and some are held back behind a slower one.
func TestStreamDelayNeverReorders(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := net.Pipe()
		cfg := Config{Delay: 100 * time.Millisecond, Jitter: 80 * time.Millisecond}
		s, err := WrapStream(a, cfg, 4)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		const n = 100
		msgs := make([][]byte, n)
		gaps := make([]time.Duration, n)
		for i := range msgs {
			msgs[i] = []byte(fmt.Sprintf("message %03d;", i))
			gaps[i] = 10 * time.Millisecond
		}
		got, log := transfer(t, s, b, msgs, gaps)
		if want := bytes.Join(msgs, nil); !bytes.Equal(got, want) {
			t.Fatalf("bytes out of order:\n%s", got)
		}
		if !slices.IsSortedFunc(log, func(x, y arrival) int { return int(x.at - y.at) }) {
			t.Fatalf("arrivals not in time order: %v", log)
		}
		first := 10*time.Millisecond + cfg.Delay - cfg.Jitter // the first write's earliest arrival
		if log[0].at < first {
			t.Fatalf("first bytes after %v, before %v", log[0].at, first)
		}
		if st := s.Stats(); st.SentDelay < n*(cfg.Delay-cfg.Jitter) || st.SentDelay > n*(cfg.Delay+cfg.Jitter) {
			t.Fatalf("delay added %v over %d segments, want within %v±%v each", st.SentDelay, n, cfg.Delay, cfg.Jitter)
		}
	})
}

// TestStreamSeeded: the same seed gives the same arrival times, another
// seed others.
func TestStreamSeeded(t *testing.T) {
	cfg := Config{Loss: 10, Delay: 30 * time.Millisecond, Jitter: 20 * time.Millisecond}
	msgs, gaps := messages(3, 50)
	run := func(seed int64) []arrival {
		var log []arrival
		synctest.Test(t, func(t *testing.T) {
			a, b := net.Pipe()
			s, err := WrapStream(a, cfg, seed)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			_, log = transfer(t, s, b, msgs, gaps)
		})
		return log
	}
	x, y, z := run(1), run(1), run(2)
	if !slices.Equal(x, y) {
		t.Fatalf("seed 1 twice: arrivals differ\n%v\n%v", x, y)
	}
	if slices.Equal(x, z) {
		t.Fatalf("seeds 1 and 2: the same arrivals")
	}
}

// TestStreamIdleDropped: the NAT forgets a connection idle for its
// binding timeout: both ends see it reset (the Stream's reads fail with
// ErrIdleDropped, the far end reads EOF) and WithOnDrop is told. Traffic
// more often than the timeout keeps it alive.
func TestStreamIdleDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := net.Pipe()
		dropped := make(chan StreamStats, 1)
		cfg := Config{NAT: NAT{BindingTimeout: 30 * time.Second}}
		s, err := WrapStream(a, cfg, 1, WithOnDrop(func(st StreamStats) { dropped <- st }))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		start := time.Now()
		go func() { _, _ = io.Copy(io.Discard, b) }() // the far end reads
		for range 5 {                                 // alive: a message every 20 s
			time.Sleep(20 * time.Second)
			if _, err := s.Write([]byte("keepalive")); err != nil {
				t.Fatalf("write at %v: %v", time.Since(start), err)
			}
		}
		_, err = s.Read(make([]byte, 10))
		if !errors.Is(err, ErrIdleDropped) {
			t.Fatalf("read: %v, want ErrIdleDropped", err)
		}
		if at := time.Since(start); at != 100*time.Second+cfg.NAT.BindingTimeout {
			t.Fatalf("dropped at %v, want 30 s after the last write at 100 s", at)
		}
		if st := <-dropped; !st.Dropped || st.Sent != 5 {
			t.Fatalf("stats at the drop %+v", st)
		}
		if _, err := b.Write([]byte("x")); err == nil {
			t.Fatal("the far end can still write: the connection was not reset")
		}
		if _, err := s.Write([]byte("x")); !errors.Is(err, ErrIdleDropped) {
			t.Fatalf("write after the drop: %v, want ErrIdleDropped", err)
		}
	})
}

// TestStreamReadDeadline: a read waiting for delayed bytes ends at its
// deadline; the bytes are still read later.
func TestStreamReadDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := net.Pipe()
		s, err := WrapStream(a, Config{Delay: time.Second}, 1)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		go func() { _, _ = b.Write([]byte("hello")) }()
		_ = s.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		buf := make([]byte, 10)
		if _, err := s.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("read before the delay: %v, want a deadline error", err)
		}
		_ = s.SetReadDeadline(time.Time{})
		n, err := s.Read(buf)
		if err != nil || string(buf[:n]) != "hello" {
			t.Fatalf("read %q, %v", buf[:n], err)
		}
	})
}

func TestValidateStream(t *testing.T) {
	for _, c := range []Config{
		{Duplicate: 1}, {Reorder: 1}, {NAT: NAT{RebindAfter: time.Minute}}, {RTO: -1}, {Loss: 101},
	} {
		if _, err := WrapStream(nil, c, 1); !errors.Is(err, ErrInvalid) {
			t.Errorf("WrapStream(%+v) = %v, want ErrInvalid", c, err)
		}
	}
}

// TestStreamWriteAfterFailure: once the wrapped connection refuses a
// write (the far end closed), later writes fail instead of queueing
// forever, and reads end with the far end's EOF.
func TestStreamWriteAfterFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := net.Pipe()
		s, err := WrapStream(a, Config{Delay: 10 * time.Millisecond}, 1)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		_ = b.Close()
		if _, err := s.Write([]byte("lost")); err != nil {
			t.Fatalf("first write: %v (queued: no error yet)", err)
		}
		time.Sleep(time.Second)
		if _, err := s.Write([]byte("x")); err == nil {
			t.Fatal("write after the connection failed: no error")
		}
		if _, err := s.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
			t.Fatalf("read: %v, want EOF", err)
		}
	})
}
