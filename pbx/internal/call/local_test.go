package call_test

import (
	"bytes"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/sdpneg"
	"pbxlab/internal/testua"
	"pbxlab/pbx/internal/call"
)

// localSeam is a seam that terminates the caller's leg itself (as the
// media server does for a conference room) when local is true; every
// offer it answers is recorded.
type localSeam struct {
	call.PassThrough
	local bool
	mu    sync.Mutex
	got   [][]byte
}

var localHost = netip.MustParseAddrPort("192.0.2.50:6000")

func (s *localSeam) Terminates(l *call.Leg) bool { return s.local && l.ID() == "a" }

func (s *localSeam) LocalAnswer(_ *call.Leg, offer []byte) ([]byte, error) {
	s.mu.Lock()
	s.got = append(s.got, offer)
	s.mu.Unlock()
	o, err := sdpneg.Parse(offer)
	if err != nil {
		return nil, err
	}
	b, _, err := sdpneg.Answer(o, localHost, sdpneg.DefaultCodecs(), 7)
	return b, err
}

func (s *localSeam) LocalOffer(*call.Leg) ([]byte, error) {
	return sdpneg.Offer(localHost, sdpneg.DefaultCodecs(), 7)
}

// TestLocalMedia: a service answers the caller itself; the caller's
// re-INVITE with an offer is answered by the seam (its SDP, the offer
// passed on), an offerless re-INVITE gets the seam's offer, UPDATE and
// INFO get 200, an unparsable offer 488. A seam that does not terminate
// the leg leaves the old answer, 481.
func TestLocalMedia(t *testing.T) {
	for _, local := range []bool{true, false} {
		name := map[bool]string{true: "terminated leg", false: "not terminated"}[local]
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				seam := &localSeam{local: local}
				r := newSetupRig(t, trustedCallers(),
					withCallMedia(func(*call.Call) call.Media { return seam }),
					withCallPolicy(func(base call.Policy) call.Policy {
						return serviceRoute(base, "7000", "1001", func(in call.Incoming, _ []call.Target) func(*call.Call) {
							offer := in.Request.Body()
							return func(c *call.Call) {
								own, err := serviceAnswer(offer)
								if err == nil {
									err = c.Answer(c.Caller(), own, nil)
								}
								if err != nil {
									c.Reject(err)
								}
							}
						})
					}))
				a := r.ua("1000")
				tx := r.invite(a, "7000", a.Offer(), nil)
				if res := r.final(tx); res.StatusCode != 200 {
					t.Fatalf("service answered %d", res.StatusCode)
				}
				r.ack(tx, nil)
				d := tx.Dialog()
				send := func(m sip.RequestMethod, ct string, body []byte) *sip.Response {
					t.Helper()
					req := d.NewRequest(m)
					testua.SetBody(req, ct, body)
					rtx, err := d.Start(req)
					if err != nil {
						t.Fatal(err)
					}
					res := r.final(rtx)
					if m == sip.INVITE && res.IsSuccess() {
						r.ack(rtx, nil)
					}
					return res
				}
				hold := []byte(strings.Replace(string(a.Offer()), "a=sendrecv", "a=sendonly", 1))
				res := send(sip.INVITE, "application/sdp", hold)
				if !local {
					if res.StatusCode != 481 {
						t.Fatalf("re-INVITE answered %d, want 481 (nobody to relay to)", res.StatusCode)
					}
					r.bye(d)
					return
				}
				if res.StatusCode != 200 || sdpAddr(t, res.Body()) != localHost || !strings.Contains(string(res.Body()), "a=recvonly") {
					t.Fatalf("hold re-INVITE answered %d\n%s\nwant 200 recvonly from the seam", res.StatusCode, res.Body())
				}
				if len(seam.got) != 1 || !bytes.Equal(seam.got[0], hold) {
					t.Errorf("the seam got %d offers, want the hold offer", len(seam.got))
				}
				if res := send(sip.INVITE, "", nil); res.StatusCode != 200 || sdpAddr(t, res.Body()) != localHost {
					t.Errorf("offerless re-INVITE answered %d, want 200 with the seam's offer", res.StatusCode)
				}
				for _, m := range []sip.RequestMethod{sip.UPDATE, sip.INFO} {
					if res := send(m, "", nil); res.StatusCode != 200 {
						t.Errorf("%s answered %d, want 200", m, res.StatusCode)
					}
				}
				if res := send(sip.INVITE, "application/sdp", []byte("v=0\r\n")); res.StatusCode != 488 {
					t.Errorf("an unusable offer answered %d, want 488", res.StatusCode)
				}
				r.bye(d)
			})
		})
	}
}
