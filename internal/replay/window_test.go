package replay_test

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"pbxlab/internal/capmut"
	"pbxlab/internal/replay"
	"pbxlab/internal/sipwire"
	"pbxlab/pbx/pbxtest"
	"pbxlab/pcaps"
)

// clones is n copies of the golden capture name one after the other
// (internal/capmut: each copy its own Call-IDs, tags, party addresses
// and users, from 1000), and the template.
func clones(t *testing.T, name string, n int, sut netip.AddrPort) ([]sipwire.Message, *capmut.Template) {
	t.Helper()
	msgs, err := pcaps.GoldenMessages(name)
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := capmut.NewTemplate(msgs, capmut.WithSUT(sut), capmut.WithUsers(1000))
	if err != nil {
		t.Fatal(err)
	}
	var out []sipwire.Message
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		c, err := tpl.Clone(i, at)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c...)
		at = at.Add(tpl.Duration() + 100*time.Millisecond)
	}
	return out, tpl
}

// TestReplayWindowedBoundsWhatItHolds: a capture of many dialogs replayed
// in windows is equivalent dialog for dialog, and what the replayer held
// at once (Report.Peak: windows, dialogs, captured and live messages) is
// bounded by the window, not by the capture: at most two windows (the one
// running and the one taking its late messages), their dialogs and
// messages, and the look-ahead. The listed verdicts are capped, every
// one counted.
func TestReplayWindowedBoundsWhatItHolds(t *testing.T) {
	const name, copies = "basic-call", 40
	setup, err := pcaps.GoldenSetup(name)
	if err != nil {
		t.Fatal(err)
	}
	sut, err := netip.ParseAddrPort(setup.SUT)
	if err != nil {
		t.Fatal(err)
	}
	msgs, tpl := clones(t, name, copies, sut)
	cfg, err := setup.PBXConfig()
	if err != nil {
		t.Fatal(err)
	}
	in, err := pbxtest.Start(cfg, pbxtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = in.Close() })
	// two copies' dialogs per window, run together
	win := replay.Windowing{Dialogs: 2 * tpl.Calls(), Lookahead: 2 * tpl.Messages(), Verdicts: 10}
	creds := replay.Credentials{}
	for n := 1000; n < 1100; n++ { // the demo configuration's
		creds[strconv.Itoa(n)] = "demo" + strconv.Itoa(n)
	}
	rep := run(t, replay.Config{
		Messages:    msgs,
		Target:      in.Target(),
		SUT:         sut,
		Credentials: creds,
		Pace:        replay.Pace{Fast: true},
		Timeout:     10 * time.Second,
		Window:      win,
	})
	t.Logf("%d messages, %d dialogs in %d windows; peak held %+v", len(msgs), rep.Dialogs(), rep.Windows, rep.Peak)
	if want := copies * tpl.Calls(); rep.Dialogs() != want || !rep.Equivalent() {
		t.Fatalf("%d dialogs, %d divergent; want %d equivalent:\n%s", rep.Dialogs(), rep.Divergent(), want, rep)
	}
	if rep.Windows != copies/2 {
		t.Errorf("%d windows, want %d (two copies each)", rep.Windows, copies/2)
	}
	// captured and live messages of two windows, and the look-ahead
	bound := 2*(2*2*tpl.Messages()) + win.Lookahead
	if rep.Peak.Windows > 2 || rep.Peak.Dialogs > 2*win.Dialogs || rep.Peak.Messages > bound {
		t.Errorf("held at most %+v; want at most 2 windows, %d dialogs, %d messages", rep.Peak, 2*win.Dialogs, bound)
	}
	if rep.Peak.Messages == 0 || rep.Peak.Messages >= len(msgs)/2 {
		t.Errorf("held at most %d messages of %d: not windowed", rep.Peak.Messages, len(msgs))
	}
	if len(rep.Verdicts) != win.Verdicts || rep.Omitted != rep.Dialogs()-win.Verdicts {
		t.Errorf("%d verdicts listed, %d omitted; want %d listed, the other %d omitted", len(rep.Verdicts), rep.Omitted, win.Verdicts, rep.Dialogs()-win.Verdicts)
	}
	if last := rep.Verdicts[len(rep.Verdicts)-1].Call; last != "D10" {
		t.Errorf("last listed verdict %s, want D10 (the windows' dialogs numbered on)", last)
	}
	var page strings.Builder
	if err := rep.WriteHTML(&page); err != nil {
		t.Fatal(err)
	}
	if want := "Replayed in 20 windows: 150 verdicts not listed, no ladders."; !strings.Contains(page.String(), want) {
		t.Errorf("the HTML report does not say %q", want)
	}
	if want := "windowed: 20 windows; 150 verdicts not listed"; !strings.Contains(rep.String(), want) {
		t.Errorf("the text report does not say %q:\n%s", want, rep)
	}
}
