package pbx_test

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pbxlab/internal/leakcheck"
	"pbxlab/internal/tone"
	"pbxlab/pbx"
	"pbxlab/pbx/config"
	"pbxlab/pbx/internal/media"
	"pbxlab/pbx/internal/services/park"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/phone"
)

// slotToneHz is the tone the tests' "digit-1" prompt is made of.
const slotToneHz = 950

// parkConfig speaks slot 1 as a tone (digit-1 replaced by a WAV of
// slotToneHz) so that the parker's announcement is detectable; 1009 is
// the only one with the retrieval right besides the parker.
func parkConfig(t *testing.T, an func(*config.Config)) func(*config.Config) {
	dir := t.TempDir()
	writeTone(t, filepath.Join(dir, "one.wav"), slotToneHz)
	return func(c *config.Config) {
		an(c)
		c.Media.Files.Dir = dir
		c.Media.Files.IDs = map[string]string{media.PromptDigitPrefix + "1": "one.wav"}
		c.Services.Park = park.Config{Right: []string{"1002"}}
	}
}

// writeTone writes a 2 s mono 8 kHz WAV of one tone.
func writeTone(t *testing.T, path string, freq float64) {
	t.Helper()
	samples := make([]int16, 2*tone.DefaultRate)
	tone.New(freq, tone.DefaultRate, 0.4).Fill(samples)
	data := make([]byte, 44+2*len(samples))
	copy(data, "RIFF")
	binary.LittleEndian.PutUint32(data[4:], uint32(36+2*len(samples)))
	copy(data[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(data[16:], 16)
	binary.LittleEndian.PutUint16(data[20:], 1)
	binary.LittleEndian.PutUint16(data[22:], 1)
	binary.LittleEndian.PutUint32(data[24:], tone.DefaultRate)
	binary.LittleEndian.PutUint32(data[28:], 2*tone.DefaultRate)
	binary.LittleEndian.PutUint16(data[32:], 2)
	binary.LittleEndian.PutUint16(data[34:], 16)
	copy(data[36:], "data")
	binary.LittleEndian.PutUint32(data[40:], uint32(2*len(samples)))
	for i, s := range samples {
		binary.LittleEndian.PutUint16(data[44+2*i:], uint16(s))
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// hearsMOH waits for a note of the music on hold on c.
func hearsMOH(ctx context.Context, c *phone.Call) error {
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	got := make(chan error, len(media.MusicOnHoldFreqs()))
	for _, f := range media.MusicOnHoldFreqs() {
		go func() {
			_, err := c.Listen(lctx, phone.SingleTone(f))
			got <- err
		}()
	}
	var err error
	for range media.MusicOnHoldFreqs() {
		if err = <-got; err == nil {
			return nil
		}
	}
	return err
}

// TestParkAndRetrieve: A (1000) talks to B (1001) and transfers B to *6:
// A hears slot 1 spoken, gets NOTIFY 200 and BYE; B hears the music on
// hold; C (1002) dials *6*1# and talks to B; C's hang-up ends B's call.
// Over both media paths, the parker the caller.
func TestParkAndRetrieve(t *testing.T) {
	for _, an := range anchors {
		t.Run(an.name, func(t *testing.T) {
			leakcheck.Check(t)
			ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
			defer cancel()
			in := startPBX(t, parkConfig(t, an.set), pbxtest.Options{})
			ps := registered(ctx, t, in.Target(), phone.Config{}, "1000", "1001", "1002")
			a, b := talk(ctx, t, ps["1000"], ps["1001"])
			heard := make(chan error, 1)
			go func() {
				_, err := a.Listen(ctx, phone.SingleTone(slotToneHz))
				heard <- err
			}()
			code, err := a.Transfer(ctx, "*6")
			if err != nil || code != 200 {
				t.Fatalf("park = %d, %v; want 200", code, err)
			}
			if err := <-heard; err != nil {
				t.Errorf("the parker does not hear the slot: %v", err)
			}
			if end, err := a.Wait(ctx); err != nil || end.Reason != phone.ReasonBye {
				t.Errorf("parker end = %+v, %v; want BYE", end, err)
			}
			if err := hearsMOH(ctx, b); err != nil {
				t.Errorf("the parked party hears no music: %v", err)
			}
			c, err := ps["1002"].Dial(ctx, "*6*1#")
			if err != nil {
				t.Fatal(err)
			}
			if err := c.WaitAnswer(ctx); err != nil {
				t.Fatalf("retrieve: %v (code %d)", err, c.Code())
			}
			expectJoined(ctx, t, b, c, "1001", "1002")
			if err := c.Hangup(ctx); err != nil {
				t.Fatal(err)
			}
			if end, err := b.Wait(ctx); err != nil || end.Reason != phone.ReasonBye {
				t.Errorf("parked party end = %+v, %v", end, err)
			}
			recs := waitCDRs(ctx, t, in, func(r []pbx.CDR) bool { return len(r) == 4 })
			var reasons []string
			for _, r := range recs {
				reasons = append(reasons, r.Caller+">"+r.Callee+":"+r.Reason)
			}
			got := strings.Join(reasons, "|")
			for _, want := range []string{"1000>1001:parked by 1000 at slot 1", "1001>*6*1:retrieved from slot 1 by 1002", "1001>1002:"} {
				if !strings.Contains(got, want) {
					t.Errorf("records %s: none %q", got, want)
				}
			}
		})
	}
}

// TestParkRefusals: the codes' bad cases, and a slot freed by the parked
// party's hang-up.
func TestParkRefusals(t *testing.T) {
	leakcheck.Check(t)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	in := startPBX(t, parkConfig(t, func(*config.Config) {}), pbxtest.Options{})
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1000", "1001", "1002", "1003")
	dial := func(from, number string, want int) {
		t.Helper()
		c, err := ps[from].Dial(ctx, number)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.WaitAnswer(ctx); err == nil || c.Code() != want {
			t.Errorf("%s dials %s: %v, code %d; want %d", from, number, err, c.Code(), want)
		}
	}
	dial("1002", "*6*1#", 404) // nothing parked
	dial("1002", "*6", 403)    // nothing to park
	dial("1002", "*6*1x#", 484)
	a, b := talk(ctx, t, ps["1000"], ps["1001"])
	if code, err := a.Transfer(ctx, "*6"); err != nil || code != 200 {
		t.Fatalf("park = %d, %v", code, err)
	}
	dial("1003", "*6*1#", 403) // no right (only 1002 and the parker)
	if err := b.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	waitCDRs(ctx, t, in, func(r []pbx.CDR) bool {
		for _, x := range r {
			if x.Caller == "1001" && x.Callee == "*6*1" && x.Reason == "caller hung up" {
				return true
			}
		}
		return false
	})
	dial("1000", "*6*1#", 404) // the slot is free again
}
