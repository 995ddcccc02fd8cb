package emodel

import (
	"math"
	"testing"
	"time"
)

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.3f, want %.3f ± %.3f", what, got, want, tol)
	}
}

// TestDefaults: G.107 §7.7: "the default values … result in a very high
// quality with a rating factor of R = 93.2".
func TestDefaults(t *testing.T) {
	near(t, "R(defaults)", Defaults().R(), 93.2, 0.05)
	near(t, "MOS(93.2)", MOS(Defaults().R()), 4.41, 0.01)
}

// TestMOS: G.107 Annex B, eq. B-4, at its bounds and inside.
func TestMOS(t *testing.T) {
	for _, tc := range []struct{ r, mos float64 }{
		{-10, 1}, {0, 1}, {math.NaN(), 1}, {50, 2.575}, {60, 3.1}, {3, 1}, {70, 3.597}, {80, 4.024}, {100, 4.5}, {120, 4.5},
	} {
		near(t, "MOS", MOS(tc.r), tc.mos, 0.001)
	}
	prev := MOS(0)
	for r := 0.5; r <= 100; r += 0.5 {
		if m := MOS(r); m < prev {
			t.Fatalf("MOS falls from %v to %v at R %v", prev, m, r)
		} else {
			prev = m
		}
	}
}

// TestG711Call: the figures the issue asks for: a clean G.711 call with
// 20 ms of one-way delay rates about 4.4.
func TestG711Call(t *testing.T) {
	r, mos := Estimate(Call{OneWay: 20 * time.Millisecond, Codec: G711(true)})
	near(t, "R(20 ms, 0 %)", r, 92.5, 0.3)
	near(t, "MOS(20 ms, 0 %)", mos, 4.4, 0.01)
	// 1 % random loss costs Ie,eff = 95·1/(1+Bpl): 3.64 with PLC, 17.92 without.
	r1, _ := Estimate(Call{OneWay: 20 * time.Millisecond, LossPercent: 1, Codec: G711(true)})
	near(t, "ΔR(1 %, PLC)", r-r1, 95/26.1, 1e-9)
	r2, mos2 := Estimate(Call{OneWay: 20 * time.Millisecond, LossPercent: 1, Codec: G711(false)})
	near(t, "ΔR(1 %, no PLC)", r-r2, 95/5.3, 1e-9)
	if mos2 >= 4 {
		t.Errorf("1 %% loss without PLC still rates %.2f", mos2)
	}
}

func TestIeEff(t *testing.T) {
	for _, tc := range []struct {
		ie, bpl, ppl, burst, want float64
	}{
		{0, 25.1, 0, 1, 0},
		{0, 25.1, 1, 1, 95 / 26.1},
		{0, 4.3, 1, 1, 95 / 5.3},
		{0, 25.1, 2, 2, 95 * 2 / 26.1}, // bursty loss hurts more than random
		{0, 25.1, 2, 0, 95 * 2 / 27.1}, // BurstR 0 means random
		{11, 19, 5, 1, 11 + 84*5/24.0}, // G.729A-like values
		{0, 25.1, 100, 1, 95 * 100 / 125.1},
	} {
		p := Params{Ie: tc.ie, Bpl: tc.bpl, Ppl: tc.ppl, BurstR: tc.burst}
		near(t, "Ie,eff", p.IeEff(), tc.want, 1e-9)
	}
}

// TestDelayImpairment cross-checks the delay terms against the widely used
// approximation of G.107 with default values by Cole and Rosenbluth
// ("Voice over IP performance monitoring", ACM CCR 31(2), 2001):
// Id ≈ 0.024·d + 0.11·(d − 177.3)·H(d − 177.3), for d up to 300 ms.
func TestDelayImpairment(t *testing.T) {
	r0 := Defaults().R()
	for d := 0.0; d <= 300; d += 25 {
		approx := 0.024 * d
		if d > 177.3 {
			approx += 0.11 * (d - 177.3)
		}
		r, _ := Estimate(Call{OneWay: time.Duration(d * float64(time.Millisecond)), Codec: G711(true)})
		near(t, "Id", r0-r, approx, 1.5)
	}
	// Absolute delay alone costs nothing up to mT = 100 ms, then grows.
	p := Defaults()
	p.Ta = 100
	near(t, "R(Ta 100)", p.R(), r0, 1e-9)
	prev := p.R()
	for ta := 125.0; ta <= 800; ta += 25 {
		p.Ta = ta
		if r := p.R(); r >= prev {
			t.Fatalf("R does not fall with Ta: %v at %v ms", r, ta)
		} else {
			prev = r
		}
	}
}

func TestMonotonic(t *testing.T) {
	prev := math.Inf(1)
	for loss := 0.0; loss <= 20; loss += 0.5 {
		r, _ := Estimate(Call{OneWay: 50 * time.Millisecond, LossPercent: loss, Codec: G711(true)})
		if r >= prev {
			t.Fatalf("R does not fall with loss: %v at %v %%", r, loss)
		}
		prev = r
	}
	// Negative inputs are clamped.
	a, _ := Estimate(Call{LossPercent: -3, Codec: G711(true)})
	near(t, "R(loss -3 %)", a, Defaults().R(), 1e-9)
}

func TestG711Values(t *testing.T) {
	if c := G711(true); c.Ie != 0 || c.Bpl != 25.1 {
		t.Errorf("%+v", c)
	}
	if c := G711(false); c.Ie != 0 || c.Bpl != 4.3 {
		t.Errorf("%+v", c)
	}
}
