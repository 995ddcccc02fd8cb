package phone

import (
	"context"
	"fmt"

	"pbxlab/internal/tone"
)

// ListenAll listens on this leg until every identity of ids is heard at
// once and the leg's own identity is not (nil error), or ctx ends
// (ErrNotHeard). It is how a conference member's audio is checked: each
// member hears every other member's tones in the mix, none of them more
// than the detector's twist below the strongest, all together clearly above
// the rest of the signal, and its own tones absent (a bridge that sends a
// member its own voice fails it). ids must not contain the leg's own
// identity. Media runs in real time, so the check does too.
func (c *Call) ListenAll(ctx context.Context, ids []Identity) (AudioResult, error) {
	c.mu.Lock()
	state := c.state
	c.mu.Unlock()
	res := AudioResult{Own: c.media.ownIdentity()}
	if c.media == nil || state != Answered {
		return res, fmt.Errorf("audio check %s: %w: %s", c.callID, ErrCallState, state)
	}
	var freqs []float64
	for _, id := range ids {
		if id == res.Own {
			return res, fmt.Errorf("audio check %s: %w: %s", c.callID, ErrSameIdentity, id)
		}
		freqs = append(freqs, id.Freqs()...)
	}
	det := tone.NewDetector(tone.Config{Freqs: freqs, Reject: res.Own.Freqs()})
	return c.detect(ctx, res, det, fmt.Sprintf("%d identities", len(ids)))
}
