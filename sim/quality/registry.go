package quality

import (
	"math/rand/v2"
	"sync"
)

// Registry hands out the SSRCs of the simulated senders of one process and
// keeps each one's SendLog, so that a Meter on the receiving phone — in
// the same process, on the same clock — measures exact one-way delays
// whatever phone sent the stream. It is safe for concurrent use.
//
// SSRCs it hands out are unique among the live ones: with 100,000 phones,
// random 32-bit SSRCs would collide (the birthday bound), and a Meter
// would read another stream's send times.
type Registry struct {
	mu   sync.RWMutex
	logs map[uint32]*SendLog
	size int
}

// NewRegistry returns a Registry whose logs keep size packets each
// (DefaultSendLogSize when size <= 0).
func NewRegistry(size int) *Registry {
	return &Registry{logs: map[uint32]*SendLog{}, size: size}
}

// Claim returns a new SSRC, unique among the registry's live ones, and the
// SendLog its sender records into. Release it when the stream ends.
func (r *Registry) Claim() (uint32, *SendLog) {
	l := NewSendLog(r.size)
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		ssrc := rand.Uint32()
		if _, taken := r.logs[ssrc]; !taken {
			r.logs[ssrc] = l
			return ssrc, l
		}
	}
}

// Release forgets ssrc's log; late packets of it get no delay figure.
func (r *Registry) Release(ssrc uint32) {
	r.mu.Lock()
	delete(r.logs, ssrc)
	r.mu.Unlock()
}

// Live is the number of claimed SSRCs.
func (r *Registry) Live() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.logs)
}

// log returns ssrc's SendLog, nil when no sender of the process has it.
func (r *Registry) log(ssrc uint32) *SendLog {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.logs[ssrc]
}

// WithRegistry makes the Meter look its stream's sender up in r (by the
// SSRC it locks on): one-way delays are exact when the sender is a phone
// of the process, and the Report says DelayKnown. A stream from outside the
// process (a prompt the PBX plays, a foreign phone) contributes no delay
// samples; the E-model then counts the endpoint delay alone.
func WithRegistry(r *Registry) Option { return func(m *Meter) { m.reg = r } }
