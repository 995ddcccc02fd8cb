package scenario

import "math"

// segment is a stretch of the arrival rate, linear from r0 to r1 calls
// per second between t0 and t1 seconds into the calling window.
type segment struct {
	t0, t1, r0, r1 float64
}

// area is the expected number of calls in the segment.
func (s segment) area() float64 { return (s.r0 + s.r1) / 2 * (s.t1 - s.t0) }

// at returns the time at which the segment's calls reach x (0 <= x <=
// area): the inverse of the cumulative rate, a quadratic's root.
func (s segment) at(x float64) float64 {
	l := s.t1 - s.t0
	if x <= 0 || l <= 0 {
		return s.t0
	}
	a := (s.r1 - s.r0) / (2 * l) // Λ(u) = r0·u + a·u²
	disc := s.r0*s.r0 + 4*a*x
	if disc < 0 {
		disc = 0
	}
	den := s.r0 + math.Sqrt(disc)
	if den <= 0 {
		return s.t1
	}
	return s.t0 + min(2*x/den, l) // the stable form of (-r0+√disc)/2a
}

// segments is the rate of the calls' shape over calls.duration.
func segments(c Calls) []segment {
	d := c.Duration.Seconds()
	var out []segment
	add := func(t0, t1, r0, r1 float64) {
		if t1 > d { // cut at the end of the window, rate interpolated
			if t1 > t0 {
				r1 = r0 + (r1-r0)*(d-t0)/(t1-t0)
			}
			t1 = d
		}
		if t1 > t0 {
			out = append(out, segment{t0, t1, r0, r1})
		}
	}
	switch c.Shape {
	case ShapeRamp:
		over := c.Ramp.Over.Seconds()
		add(0, over, c.Ramp.From, c.Ramp.To)
		add(over, d, c.Ramp.To, c.Ramp.To)
	case ShapeSpike:
		at, end := c.Spike.At.Seconds(), (c.Spike.At + c.Spike.Length).Seconds()
		add(0, at, c.Spike.Base, c.Spike.Base)
		add(at, end, c.Spike.Peak, c.Spike.Peak)
		add(end, d, c.Spike.Base, c.Spike.Base)
	case ShapeCeiling: // the staircase, as if no step broke
		step := c.Ceiling.StepDuration.Seconds()
		for i, r := range c.Ceiling.Rates() {
			add(float64(i)*step, float64(i+1)*step, r, r)
		}
	case ShapeSoak:
		w := c.Soak.Warmup.Seconds()
		add(0, w, 0, c.Rate)
		add(w, d, c.Rate, c.Rate)
	default:
		add(0, d, c.Rate, c.Rate)
	}
	return out
}

// expectedCalls is the integral of the rate over the window.
func expectedCalls(c Calls) float64 {
	var n float64
	for _, s := range segments(c) {
		n += s.area()
	}
	return n
}

// RateAt returns the arrival rate (calls per second) the shape asks for
// at offset t seconds into the calling window (0 outside it).
func (c Calls) RateAt(t float64) float64 {
	for _, s := range segments(c) {
		if t >= s.t0 && t < s.t1 {
			return s.r0 + (s.r1-s.r0)*(t-s.t0)/(s.t1-s.t0)
		}
	}
	return 0
}

// timeline inverts the cumulative rate: it maps the running count of
// arrivals (increasing) to times. Targets must not decrease.
type timeline struct {
	segs []segment
	i    int     // current segment
	base float64 // calls before segment i
}

// at returns the time (seconds) at which the cumulative rate reaches x,
// and false beyond the window.
func (tl *timeline) at(x float64) (float64, bool) {
	for tl.i < len(tl.segs) {
		s := tl.segs[tl.i]
		// a stretch of rate 0 (area 0) holds no call: skipped
		if a := s.area(); a > 0 && x < tl.base+a {
			return s.at(x - tl.base), true
		}
		tl.base += s.area()
		tl.i++
	}
	return 0, false
}
