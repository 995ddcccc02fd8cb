package steps

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/cucumber/godog"

	"pbxlab/internal/tone"
	"pbxlab/pbx/config"
	"pbxlab/sim/phone"
)

// registerIVRSteps: the IVR / auto-attendant, observed from the phones.
// Every prompt of a scenario's IVR is a WAV of one sine of its own
// frequency (generated when the scenario starts, mapped to the prompt's
// media ID in media.files), so "hears prompt X" is tone detection on the
// caller's phone and "does not hear prompt X" its negative control. The
// extension a digit reaches is proven by two-way audio with that phone,
// and the phones that must not be called are checked not called.
func registerIVRSteps(sc *godog.ScenarioContext) {
	sc.Before(func(ctx context.Context, _ *godog.Scenario) (context.Context, error) {
		return context.WithValue(ctx, ivrKey{}, &ivrState{freqs: map[string]float64{}}), nil
	})
	sc.After(func(ctx context.Context, _ *godog.Scenario, err error) (context.Context, error) {
		if st := ivrFrom(ctx); st != nil && st.dir != "" {
			_ = os.RemoveAll(st.dir)
		}
		return ctx, err
	})
	sc.Given(`^the prompts ((?:"[^"]+"(?:, | and )?)+) are tones of distinct frequencies$`, ivrStep1(promptTones))
	sc.Given(`^an IVR on (\d+) with the menus:$`, ivrStep2(func(_ context.Context, w *world, st *ivrState, number string, doc *godog.DocString) error {
		return ivrMenus(w, st, number, doc.Content)
	}))
	sc.When(`^(\d+) dials (\d+)$`, ivrStep2(dialIVR))
	sc.Then(`^(\d+) hears prompt "([^"]+)"$`, ivrStep2(func(ctx context.Context, w *world, st *ivrState, name, prompt string) error {
		return hearsPrompt(ctx, w, st, name, prompt, true)
	}))
	sc.Then(`^(\d+) does not hear prompt "([^"]+)"$`, ivrStep2(func(ctx context.Context, w *world, st *ivrState, name, prompt string) error {
		return hearsPrompt(ctx, w, st, name, prompt, false)
	}))
	sc.When(`^(\d+) presses nothing$`, ivrStep1(func(context.Context, *world, *ivrState, string) error { return nil }))
	sc.Then(`^(\d+) reaches (\d+)$`, ivrStep2(reaches))
	sc.Then(`^(\d+) was not called$`, ivrStep1(notCalled))
	sc.Then(`^the PBX hangs up on (\d+)$`, ivrStep1(pbxHangsUp))
	sc.Then(`^the IVR puts (\d+) through to (\d+)$`, ivrStep2(putThrough))
	sc.Then(`^(\d+) hears ringback$`, ivrStep1(hearsRingback))
	sc.Then(`^the IVR call of (\d+) is over$`, ivrStep1(ivrCallOver))
	sc.When(`^(\d+) dials (\d+), hears prompt "([^"]+)", presses ([0-9*#A-D]+) and reaches (\d+)$`,
		func(ctx context.Context, caller, number, prompt, digits, ext string) error {
			w, st, err := ivrWorld(ctx)
			if err != nil {
				return err
			}
			for _, f := range []func() error{
				func() error { return dialIVR(ctx, w, st, caller, number) },
				func() error { return hearsPrompt(ctx, w, st, caller, prompt, true) },
				func() error { return presses(ctx, w, caller, digits) },
				func() error { return reaches(ctx, w, st, caller, ext) },
			} {
				if err := f(); err != nil {
					return err
				}
			}
			return nil
		})
}

type ivrKey struct{}

// ivrState is the IVR side of a scenario (in its context).
type ivrState struct {
	mu    sync.Mutex
	dir   string             // generated prompt WAVs and IVR files
	freqs map[string]float64 // prompt media ID -> its tone
	call  *callRec           // the call to the IVR
	base  map[phoneKey]int   // every phone's incoming calls when it was dialled
}

func ivrFrom(ctx context.Context) *ivrState {
	st, _ := ctx.Value(ivrKey{}).(*ivrState)
	return st
}

func ivrWorld(ctx context.Context) (*world, *ivrState, error) {
	w, err := stepWorld(ctx)
	if err != nil {
		return nil, nil, err
	}
	st := ivrFrom(ctx)
	if st == nil {
		return nil, nil, fmt.Errorf("%w: no IVR state (before hook missing)", ErrUsage)
	}
	return w, st, nil
}

func ivrStep1[A any](f func(context.Context, *world, *ivrState, A) error) func(context.Context, A) error {
	return func(ctx context.Context, a A) error {
		w, st, err := ivrWorld(ctx)
		if err != nil {
			return err
		}
		return f(ctx, w, st, a)
	}
}

func ivrStep2[A, B any](f func(context.Context, *world, *ivrState, A, B) error) func(context.Context, A, B) error {
	return func(ctx context.Context, a A, b B) error {
		w, st, err := ivrWorld(ctx)
		if err != nil {
			return err
		}
		return f(ctx, w, st, a, b)
	}
}

// promptFreqs are the prompts' tones: multiples of 50 Hz (loss-neutral, as
// the phones' identities) that are no phone's identity tone, no DTMF tone,
// no call-progress, test or fax tone.
var promptFreqs = [...]float64{1350, 1650, 950, 850, 1200, 3450}

// promptSeconds is how long each prompt plays: longer than an audio
// check's window, short enough for menus with retries to stay quick.
const promptSeconds = 2

var quotedRE = regexp.MustCompile(`"([^"]+)"`)

// promptTones makes each quoted media ID a WAV of a tone of its own and
// maps it in media.files.
func promptTones(_ context.Context, w *world, st *ivrState, list string) error {
	ids := quotedRE.FindAllStringSubmatch(list, -1)
	if len(ids) > len(promptFreqs) {
		return fmt.Errorf("%w: %d prompts, at most %d distinct tones", ErrUsage, len(ids), len(promptFreqs))
	}
	dir, err := st.workDir()
	if err != nil {
		return err
	}
	files := map[string]string{}
	for i, m := range ids {
		id, f := m[1], promptFreqs[i]
		name := fmt.Sprintf("prompt-%d.wav", i)
		if err := writeToneWAV(filepath.Join(dir, name), f); err != nil {
			return err
		}
		files[id] = name
		st.mu.Lock()
		st.freqs[id] = f
		st.mu.Unlock()
	}
	return w.configure(func(c *config.Config) error {
		c.Media.Files.Dir = dir
		if c.Media.Files.IDs == nil {
			c.Media.Files.IDs = map[string]string{}
		}
		for id, name := range files {
			c.Media.Files.IDs[id] = name
		}
		return nil
	})
}

func (st *ivrState) workDir() (string, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.dir == "" {
		d, err := os.MkdirTemp("", "pbxlab-ivr-")
		if err != nil {
			return "", fmt.Errorf("ivr prompts: %w", err)
		}
		st.dir = d
	}
	return st.dir, nil
}

// writeToneWAV writes promptSeconds of a sine at freq: 8 kHz mono PCM16.
func writeToneWAV(path string, freq float64) error {
	samples := make([]int16, promptSeconds*tone.DefaultRate)
	tone.New(freq, tone.DefaultRate, 0.4).Fill(samples)
	data := make([]byte, 44+2*len(samples))
	copy(data, "RIFF")
	binary.LittleEndian.PutUint32(data[4:], uint32(36+2*len(samples)))
	copy(data[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(data[16:], 16)
	binary.LittleEndian.PutUint16(data[20:], 1) // PCM
	binary.LittleEndian.PutUint16(data[22:], 1) // mono
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
		return fmt.Errorf("write prompt %s: %w", path, err)
	}
	return nil
}

// ivrMenus writes an IVR file (numbers: number -> the first menu of the
// document) and adds it to the configuration's ivrs.
func ivrMenus(w *world, st *ivrState, number, menus string) error {
	first := ""
	for line := range strings.Lines(menus) {
		if t := strings.TrimRight(line, " \r\n"); t != "" && t[0] != ' ' && strings.HasSuffix(t, ":") {
			first = strings.TrimSuffix(t, ":")
			break
		}
	}
	if first == "" {
		return fmt.Errorf("%w: the menus name no menu (\"name:\" at the start of a line)", ErrUsage)
	}
	dir, err := st.workDir()
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "numbers:\n  %q: %s\nmenus:\n", number, first)
	for line := range strings.Lines(menus) {
		b.WriteString("  " + line)
	}
	b.WriteString("\n")
	path := filepath.Join(dir, "ivr-"+number+".yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("write ivr %s: %w", path, err)
	}
	return w.configure(func(c *config.Config) error {
		c.IVRs = append(c.IVRs, config.IVR{File: path})
		return nil
	})
}

// dialIVR calls the IVR number and waits for the PBX to answer.
func dialIVR(ctx context.Context, w *world, st *ivrState, caller, number string) error {
	base := map[phoneKey]int{}
	w.mu.Lock()
	for k, p := range w.phones {
		base[k] = p.incomingCount()
	}
	w.mu.Unlock()
	rec, err := dial(ctx, w, caller, "", number)
	if err != nil {
		return err
	}
	st.mu.Lock()
	st.call, st.base = rec, base
	st.mu.Unlock()
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	if err := rec.out.WaitAnswer(wctx); err != nil {
		return fmt.Errorf("%w: the PBX did not answer %s's call to IVR %s: %w", ErrExpectation, caller, number, err)
	}
	return nil
}

// ivrCall is caller's call to the IVR.
func (st *ivrState) ivrCall(caller string) (*callRec, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.call == nil || st.call.caller != caller {
		return nil, fmt.Errorf("%w: %s has not dialled an IVR", ErrUsage, caller)
	}
	return st.call, nil
}

// hearsPrompt listens for the prompt's tone on the caller's leg: within
// the step's wait (heard), or for the whole quiet window (not heard).
func hearsPrompt(ctx context.Context, w *world, st *ivrState, name, prompt string, want bool) error {
	rec, err := st.ivrCall(name)
	if err != nil {
		return err
	}
	st.mu.Lock()
	f, ok := st.freqs[prompt]
	st.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: prompt %q has no tone (see \"the prompts … are tones\")", ErrUsage, prompt)
	}
	if !want {
		qctx, cancel := context.WithTimeout(ctx, quietWindow)
		defer cancel()
		res, err := rec.out.Listen(qctx, phone.SingleTone(f))
		switch {
		case err == nil:
			return fmt.Errorf("%w: %s hears prompt %q (%g Hz)", ErrExpectation, name, prompt, f)
		case !errors.Is(err, phone.ErrNotHeard) || qctx.Err() == nil:
			return fmt.Errorf("%w: %s: the check for prompt %q failed for another reason (%s): %w", ErrExpectation, name, prompt, res.Detail.Reason, err)
		}
		return nil
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	if _, err := rec.out.Listen(wctx, phone.SingleTone(f)); err != nil {
		return fmt.Errorf("%w: %s does not hear prompt %q (%g Hz): %w", ErrExpectation, name, prompt, f, err)
	}
	return nil
}

// reaches: the IVR's call rings ext, which answers; caller and ext hear
// each other. From then on the call is the one between caller and ext
// ("When 1003 hangs up", "the call ends normally").
func reaches(ctx context.Context, w *world, st *ivrState, caller, ext string) error {
	rec, err := st.ivrCall(caller)
	if err != nil {
		return err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	leg, err := st.newIncoming(wctx, w, ext)
	if err != nil {
		return fmt.Errorf("%w: %s never rang %s: %w", ErrExpectation, rec, ext, err)
	}
	if err := leg.WaitRinging(wctx); err != nil {
		return fmt.Errorf("%w: %s does not ring: %w", ErrExpectation, ext, err)
	}
	if leg.State() != phone.Answered {
		if err := leg.Answer(wctx); err != nil {
			return fmt.Errorf("%w: %s answers: %w", ErrExpectation, ext, err)
		}
	}
	id, err := w.identityOf(ext)
	if err != nil {
		return err
	}
	rec.out.ExpectIdentity(id)
	rec.callee, rec.answered = ext, leg
	if _, err := phone.VerifyTwoWay(wctx, rec.out, leg); err != nil {
		return fmt.Errorf("%w: %s reached %s without two-way audio: %w", ErrExpectation, caller, ext, err)
	}
	return nil
}

// newIncoming waits for a call on one of name's phones since the IVR was
// dialled.
func (st *ivrState) newIncoming(ctx context.Context, w *world, name string) (*phone.Call, error) {
	ds := w.devicesOf(name)
	if len(ds) == 0 {
		return nil, fmt.Errorf("%w: no phone %s (register it first)", ErrUsage, name)
	}
	for {
		var changed []<-chan struct{}
		for _, d := range ds {
			st.mu.Lock()
			n := st.base[d.key]
			st.mu.Unlock()
			calls, ch := d.incomingSince(n)
			if len(calls) > 0 {
				return calls[0], nil
			}
			changed = append(changed, ch)
		}
		if err := waitAny(ctx, changed...); err != nil {
			return nil, err
		}
	}
}

// notCalled: none of name's phones got a call since the IVR was dialled.
func notCalled(_ context.Context, w *world, st *ivrState, name string) error {
	ds := w.devicesOf(name)
	if len(ds) == 0 {
		return fmt.Errorf("%w: no phone %s (register it first)", ErrUsage, name)
	}
	for _, d := range ds {
		st.mu.Lock()
		n := st.base[d.key]
		st.mu.Unlock()
		if calls, _ := d.incomingSince(n); len(calls) > 0 {
			return fmt.Errorf("%w: %s was called (from %s)", ErrExpectation, name, calls[0].Remote())
		}
	}
	return nil
}

// pbxHangsUp: the IVR ends the caller's call with a BYE of its own.
func pbxHangsUp(ctx context.Context, w *world, st *ivrState, name string) error {
	rec, err := st.ivrCall(name)
	if err != nil {
		return err
	}
	rec.checked = true
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	end, err := rec.out.Wait(wctx)
	if err != nil {
		return fmt.Errorf("%w: the PBX did not end %s: %w", ErrExpectation, rec, err)
	}
	if end.Reason != phone.ReasonBye || end.By != phone.Remote {
		return fmt.Errorf("%w: %s ended by %s with %s, want a BYE from the PBX", ErrExpectation, rec, end.By, end.Reason)
	}
	return nil
}

// putThrough: from now on the IVR's call is the call to ext (the IVR rings
// it for the caller): "1003 rings", "1003 answers", "1001 and 1003 hear
// each other" and "1003 stops ringing" apply to it.
func putThrough(_ context.Context, w *world, st *ivrState, caller, ext string) error {
	rec, err := st.ivrCall(caller)
	if err != nil {
		return err
	}
	id, err := w.identityOf(ext)
	if err != nil {
		return err
	}
	st.mu.Lock()
	for _, d := range w.devicesOf(ext) {
		rec.base[d.key] = st.base[d.key]
	}
	st.mu.Unlock()
	rec.callee = ext
	rec.out.ExpectIdentity(id)
	return nil
}

// hearsRingback: the caller hears the tone plan's ringback (the IVR rings
// an extension for it): 450 Hz in the cn plan, 440+480 Hz in the us plan.
func hearsRingback(ctx context.Context, w *world, st *ivrState, name string) error {
	rec, err := st.ivrCall(name)
	if err != nil {
		return err
	}
	id := phone.SingleTone(450)
	if err := w.configure(func(c *config.Config) error {
		if c.Media.TonePlan == "us" {
			id = phone.Identity{Low: 440, High: 480}
		}
		return nil
	}); err != nil && !errors.Is(err, ErrStarted) {
		return err
	}
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	if _, err := rec.out.Listen(wctx, id); err != nil {
		return fmt.Errorf("%w: %s hears no ringback (%s): %w", ErrExpectation, name, id, err)
	}
	return nil
}

// ivrCallOver: the caller's call to the IVR ended with the caller's BYE.
func ivrCallOver(ctx context.Context, w *world, st *ivrState, name string) error {
	rec, err := st.ivrCall(name)
	if err != nil {
		return err
	}
	rec.checked = true
	wctx, cancel := w.waitCtx(ctx)
	defer cancel()
	end, err := rec.out.Wait(wctx)
	if err != nil || end.Reason != phone.ReasonBye || end.By != phone.Local {
		return fmt.Errorf("%w: %s ended %+v (%v), want %s's BYE", ErrExpectation, rec, end, err, name)
	}
	return nil
}
