package interop

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"pbxlab/internal/tone"
	"pbxlab/pbx/config"
	"pbxlab/pbx/pbxtest"
	"pbxlab/sim/phone"
)

// linphonePBX starts an in-process PBX whose one realm offers algorithms
// (a YAML list body, e.g. "SHA-256"), with subscribers 1060–1069
// (password pw{n}).
func linphonePBX(t *testing.T, algorithms string) *pbxtest.Instance {
	t.Helper()
	cfg, err := config.Parse("linphone.yaml", fmt.Appendf(nil, `
auth: {realms: [{name: pbxlab, algorithms: [%s]}]}
subscriber_ranges: [{from: "1060", to: "1069", password: "pw{n}"}]
`, algorithms))
	if err != nil {
		t.Fatal(err)
	}
	in, err := pbxtest.Start(cfg, pbxtest.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = in.Close() })
	return in
}

// waitRegistered waits until the PBX holds a binding of number.
func waitRegistered(ctx context.Context, t *testing.T, in *pbxtest.Instance, number string, lp *linphone) {
	t.Helper()
	for {
		bs, err := in.Registrar().Lookup(ctx, number)
		if err == nil && len(bs) > 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("linphone %s never registered:\n%s", number, lp.Output())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// simPhone registers a simulated phone of number with the PBX; its
// incoming calls (answered at once) arrive on the returned channel.
func simPhone(ctx context.Context, t *testing.T, in *pbxtest.Instance, number string) (*phone.Phone, <-chan *phone.Call) {
	t.Helper()
	ag, err := phone.NewAgent(phone.Config{Target: in.Target()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ag.Close() })
	incoming := make(chan *phone.Call, 4)
	p, err := ag.NewPhone(phone.PhoneConfig{Number: number, Password: "pw" + number,
		OnIncoming: func(c *phone.Call) {
			select {
			case incoming <- c:
			default:
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Register(ctx); err != nil {
		t.Fatal(err)
	}
	return p, incoming
}

// authorizations lists, from linphone's log, the method and algorithm of
// every Authorization and Proxy-Authorization header linphone sent, as
// "REGISTER SHA-256".
func authorizations(lp *linphone) []string {
	request := regexp.MustCompile(`^([A-Z]+) sip:\S+ SIP/2\.0\s*$`)
	auth := regexp.MustCompile(`^(?:Proxy-)?Authorization: *Digest .*algorithm="?([A-Za-z0-9-]+)`)
	var out []string
	method := ""
	for l := range strings.SplitSeq(lp.Log(), "\n") {
		if m := request.FindStringSubmatch(l); m != nil {
			method = m[1]
		} else if m := auth.FindStringSubmatch(l); m != nil {
			out = append(out, method+" "+m[1])
		}
	}
	return out
}

// TestLinphoneThroughPBX: Debian's linphonec (linphone-cli) registers
// with digest auth, calls a simulated phone and is called by one through
// the PBX, in a realm that offers SHA-256 only, one that offers MD5 only
// and the default realm (MD5 then SHA-256, two challenges), over UDP, and
// in the SHA-256 realm over TCP as well, where the PBX calls linphone over
// the connection linphone registered on (it never connects to a phone
// registered over TCP: pbx/flow.go). Audio is
// proven both ways on each call: the simulated phone hears the tone
// linphone plays from its WAV file, and linphone's recording of the call
// holds the simulated phone's identity. linphone's own log shows which
// algorithm it answered with: the only one offered, and with both offered
// the first challenge, MD5 (liblinphone 5.1 takes the first algorithm it
// supports; RFC 8760 §2.4 leaves the choice to the client).
func TestLinphoneThroughPBX(t *testing.T) {
	for _, tc := range []struct {
		name, algorithms string
		want             string // the algorithm linphone answers with
		transport        string
	}{
		{"sha-256 only", "SHA-256", "SHA-256", "udp"},
		{"md5 only", "MD5", "MD5", "udp"},
		{"default realm", "MD5, SHA-256", "MD5", "udp"},
		{"sha-256 only over tcp", "SHA-256", "SHA-256", "tcp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			in := linphonePBX(t, tc.algorithms)
			proxy := in.UDP.String()
			if tc.transport == "tcp" {
				proxy = in.TCP.String()
			}
			lp := startLinphone(t, linphoneConfig{Number: "1060", Password: "pw1060", Proxy: proxy, Transport: tc.transport, AutoAnswer: true})
			waitRegistered(ctx, t, in, "1060", lp)
			p, incoming := simPhone(ctx, t, in, "1061")

			// linphone calls the simulated phone
			rec := lp.RecordTo("outgoing.wav")
			from := lp.Lines()
			lp.Command("call sip:1061@127.0.0.1")
			var c *phone.Call
			select {
			case c = <-incoming:
			case <-ctx.Done():
				t.Fatalf("the simulated phone never got linphone's call:\n%s", lp.Output())
			}
			if err := c.WaitAnswer(ctx); err != nil {
				t.Fatalf("the simulated phone did not answer linphone: %v\n%s", err, lp.Output())
			}
			linphoneCallAudio(ctx, t, lp, c, p, rec)
			lp.Command("terminate")
			if end, err := c.Wait(ctx); err != nil || end.By != phone.Remote {
				t.Fatalf("call from linphone: end %+v, %v (want ended by linphone)\n%s", end, err, lp.Output())
			}
			waitEnded(ctx, t, lp, from)
			assertHeard(t, lp, rec, p.Identity())

			// the simulated phone calls linphone, which answers at once
			rec = lp.RecordTo("incoming.wav")
			from = lp.Lines()
			c, err := p.Dial(ctx, "1060")
			if err != nil {
				t.Fatal(err)
			}
			if err := c.WaitAnswer(ctx); err != nil {
				t.Fatalf("linphone did not answer: %v (code %d)\n%s", err, c.Code(), lp.Output())
			}
			linphoneCallAudio(ctx, t, lp, c, p, rec)
			if err := c.Hangup(ctx); err != nil {
				t.Fatal(err)
			}
			if end, err := c.Wait(ctx); err != nil || end.Code != 200 {
				t.Fatalf("call to linphone: end %+v, %v", end, err)
			}
			waitEnded(ctx, t, lp, from)
			lp.Quit(ctx)
			assertHeard(t, lp, rec, p.Identity())

			auths := authorizations(lp)
			t.Logf("realm offers [%s]; linphone answered with %v", tc.algorithms, auths)
			if !slices.Contains(auths, "REGISTER "+tc.want) || !slices.Contains(auths, "INVITE "+tc.want) ||
				slices.ContainsFunc(auths, func(a string) bool { return !strings.HasSuffix(a, " "+tc.want) }) {
				t.Errorf("linphone's credentials %v, want %s on REGISTER, INVITE and every other request", auths, tc.want)
			}
		})
	}
}

// linphoneCallAudio waits until the call c of simulated phone p hears
// linphone's tone, then lets linphone record p's identity to rec for
// three seconds.
func linphoneCallAudio(ctx context.Context, t *testing.T, lp *linphone, c *phone.Call, p *phone.Phone, rec string) {
	t.Helper()
	c.ExpectTone(linphoneTone)
	actx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if _, err := c.TwoWayAudio(actx); err != nil {
		t.Errorf("the simulated phone %s does not hear linphone's %v Hz: %v\n%s", p.Identity(), linphoneTone, err, lp.Output())
	}
	time.Sleep(3 * time.Second) // linphone records the far end
}

// waitEnded waits until linphonec says, after its output line from, that
// a call ended: its recording is then complete.
func waitEnded(ctx context.Context, t *testing.T, lp *linphone, from int) {
	t.Helper()
	if _, err := lp.Wait(ctx, from, " ended ("); err != nil {
		t.Fatalf("%v\n%s", err, lp.Output())
	}
}

// assertHeard fails t unless linphone's recording rec holds id in at least
// three blocks of 200 ms (600 ms of audio). A block with a splice of
// linphone's jitter buffer or packet-loss concealment in it smears the
// tones, and a loaded machine (-race, 2 cores) makes many; a call that
// reached the wrong phone, or none, has no block at all.
func assertHeard(t *testing.T, lp *linphone, rec string, id phone.Identity) {
	t.Helper()
	samples, rate := readWAV16(t, rec)
	block := rate / 5
	det := tone.NewDetector(tone.Config{Freqs: id.Freqs(), Rate: rate, Reject: []float64{linphoneTone}})
	heard, blocks := 0, len(samples)/block
	var last tone.Result
	for i := range blocks {
		if last = det.Analyse(samples[i*block : (i+1)*block]); last.Present {
			heard++
		}
	}
	if heard < 3 {
		t.Errorf("linphone heard the simulated phone's identity %s in %d of %d blocks of 200 ms of %s, want 3 or more (last: %+v)\n%s",
			id, heard, blocks, rec, last, lp.Output())
	}
}
