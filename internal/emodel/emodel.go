// Package emodel is the ITU-T G.107 E-model (06/2015): the transmission
// rating R of a telephone connection from its parameters (loudness, noise,
// echo, delay, codec and packet loss), and the estimated mean opinion score
// of Annex B. pbxlab uses it to turn the loss and delay measured on a call
// into a MOS; it is shared by the PBX and the simulator.
//
// Every formula below is G.107 §7 (7.1 to 7.7) with its Table 3 default
// values; the equation numbers in comments are G.107's.
package emodel

import (
	"math"
	"time"
)

// Params are the E-model's inputs (G.107 Table 3). Delays are in
// milliseconds, losses in percent.
type Params struct {
	SLR    float64 // send loudness rating, dB (8)
	RLR    float64 // receive loudness rating, dB (2)
	STMR   float64 // sidetone masking rating, dB (15)
	LSTR   float64 // listener sidetone rating, dB (18)
	Ds     float64 // D-value of telephone, send side (3)
	Dr     float64 // D-value of telephone, receive side (3)
	TELR   float64 // talker echo loudness rating, dB (65)
	WEPL   float64 // weighted echo path loss, dB (110)
	T      float64 // mean one-way delay of the echo path, ms (0)
	Tr     float64 // round-trip delay in a 4-wire loop, ms (0)
	Ta     float64 // absolute delay in echo-free connections, ms (0)
	Qdu    float64 // number of quantization distortion units (1)
	Ie     float64 // equipment impairment factor (0)
	Bpl    float64 // packet-loss robustness factor (1; see the codecs)
	Ppl    float64 // random packet-loss probability, % (0)
	BurstR float64 // burst ratio (1: random loss)
	Nc     float64 // circuit noise referred to the 0 dBr point, dBm0p (-70)
	Nfor   float64 // noise floor at the receive side, dBmp (-64)
	Ps     float64 // room noise at the send side, dB(A) (35)
	Pr     float64 // room noise at the receive side, dB(A) (35)
	A      float64 // advantage factor (0)
	MT     float64 // mT: minimum perceivable delay for Idd, ms (100)
	ST     float64 // sT: sensitivity to absolute delay (1)
}

// Defaults returns the G.107 Table 3 default values. With them R is 93.2.
func Defaults() Params {
	return Params{
		SLR: 8, RLR: 2, STMR: 15, LSTR: 18, Ds: 3, Dr: 3, TELR: 65, WEPL: 110,
		Qdu: 1, Bpl: 1, BurstR: 1, Nc: -70, Nfor: -64, Ps: 35, Pr: 35, MT: 100, ST: 1,
	}
}

// R returns the transmission rating R = Ro − Is − Id − Ie,eff + A (eq. 7-1).
func (p Params) R() float64 {
	olr := p.SLR + p.RLR
	no := p.noise(olr)
	ro := 15 - 1.5*(p.SLR+no) // eq. 7-2
	return ro - p.is(olr, no, ro) - p.id(no, ro) - p.IeEff() + p.A
}

// noise is No, the total noise power (eq. 7-3 to 7-7).
func (p Params) noise(olr float64) float64 {
	nos := p.Ps - p.SLR - p.Ds - 100 + 0.004*sq(p.Ps-olr-p.Ds-14)        // 7-4
	pre := p.Pr + 10*math.Log10(1+math.Pow(10, (10-p.LSTR)/10))          // 7-6
	nor := p.RLR - 121 + pre + 0.008*sq(pre-35)                          // 7-5
	nfo := p.Nfor + p.RLR                                                // 7-7
	return 10 * math.Log10(dBsum(p.Nc)+dBsum(nos)+dBsum(nor)+dBsum(nfo)) // 7-3
}

// is is the simultaneous impairment factor Is = Iolr + Ist + Iq (eq. 7-8 to 7-16).
func (p Params) is(olr, no, ro float64) float64 {
	xolr := olr + 0.2*(64+no-p.RLR)                                // 7-10
	iolr := 20 * (math.Pow(1+math.Pow(xolr/8, 8), 1.0/8) - xolr/8) // 7-9
	ist := p.ist()
	q := 37 - 15*math.Log10(p.Qdu)                           // 7-16
	g := 1.07 + 0.258*q + 0.0602*q*q                         // 7-15
	z := 46.0/30 - g/40                                      // 7-14
	y := (ro-100)/15 + 46/8.4 - g/9                          // 7-13
	iq := 15 * math.Log10(1+math.Pow(10, y)+math.Pow(10, z)) // 7-12
	return iolr + ist + iq
}

// ist is the sidetone impairment Ist (eq. 7-11, STMRo of 7-11a).
func (p Params) ist() float64 {
	stmro := -10 * math.Log10(math.Pow(10, -p.STMR/10)+math.Exp(-p.T/4)*math.Pow(10, -p.TELR/10))
	return 12*math.Pow(1+math.Pow((stmro-13)/6, 8), 1.0/8) -
		28*math.Pow(1+math.Pow((stmro+1)/19.4, 35), 1.0/35) -
		13*math.Pow(1+math.Pow((stmro-3)/33, 13), 1.0/13) + 29
}

// id is the delay impairment Id = Idte + Idle + Idd (eq. 7-17 to 7-28).
func (p Params) id(no, ro float64) float64 {
	// Talker echo (7-18 to 7-21).
	roe := -1.5 * (no - p.RLR)
	terv := p.TELR - 40*math.Log10((1+p.T/10)/(1+p.T/150)) + 6*math.Exp(-0.3*p.T*p.T)
	if p.STMR < 9 {
		terv += p.ist() / 2 // 7-22
	}
	re := 80 + 2.5*(terv-14)
	idte := ((roe-re)/2 + math.Sqrt(sq(roe-re)/4+100) - 1) * (1 - math.Exp(-p.T))
	if p.STMR > 20 {
		idte = math.Sqrt(idte*idte + sq(p.ist())) // 7-23
	}
	// Listener echo (7-24, 7-25).
	rle := 10.5 * (p.WEPL + 7) * math.Pow(p.Tr+1, -0.25)
	idle := (ro-rle)/2 + math.Sqrt(sq(ro-rle)/4+169)
	// Absolute delay (7-26 to 7-28).
	var idd float64
	if p.Ta > p.MT {
		x := math.Log10(p.Ta/p.MT) / math.Log10(2)
		e := 6 * p.ST
		idd = 25 * (math.Pow(1+math.Pow(x, e), 1/e) - 3*math.Pow(1+math.Pow(x/3, e), 1/e) + 2)
	}
	return idte + idle + idd
}

// IeEff returns the effective equipment impairment under packet loss,
// Ie,eff = Ie + (95 − Ie) · Ppl / (Ppl/BurstR + Bpl) (eq. 7-29).
func (p Params) IeEff() float64 {
	burst := p.BurstR
	if burst <= 0 {
		burst = 1
	}
	if p.Ppl <= 0 {
		return p.Ie
	}
	return p.Ie + (95-p.Ie)*p.Ppl/(p.Ppl/burst+p.Bpl)
}

// MOS converts R to the estimated mean opinion score (conversational
// quality, G.107 Annex B eq. B-4): 1 below R 0, 4.5 above R 100. The cubic
// dips to 0.997 for R under 6.5; the result is held at 1 there, the lowest
// score of the scale.
func MOS(r float64) float64 {
	switch {
	case math.IsNaN(r) || r <= 0:
		return 1
	case r >= 100:
		return 4.5
	}
	return max(1, 1+0.035*r+r*(r-60)*(100-r)*7e-6)
}

// Codec is a codec's E-model values: its equipment impairment factor and
// its packet-loss robustness factor.
type Codec struct {
	Name string
	Ie   float64
	Bpl  float64
}

// G711 returns G.711's values from ITU-T G.113 Appendix I (Table I.1 for
// Ie, Table I.3 for Bpl under random loss): Ie 0; Bpl 25.1 with the packet
// loss concealment of G.711 Appendix I, 4.3 without any (a lost packet
// played as silence).
func G711(plc bool) Codec {
	if plc {
		return Codec{Name: "G.711 with PLC", Ie: 0, Bpl: 25.1}
	}
	return Codec{Name: "G.711 without PLC", Ie: 0, Bpl: 4.3}
}

// Call is what was measured on one direction of a call.
type Call struct {
	// OneWay is the mouth-to-ear delay: the network delay measured plus
	// whatever the endpoints add (packetisation, jitter buffer), if known.
	OneWay      time.Duration
	LossPercent float64 // packets lost, %
	BurstR      float64 // burst ratio (1, or 0, for random loss)
	Codec       Codec
}

// Params returns the E-model parameters of a VoIP call: G.107's defaults
// with T = Ta = OneWay and Tr = 2·OneWay (the echo of a packet path comes
// back over the same delay), the codec's Ie and Bpl, the loss and burst
// ratio.
func (c Call) Params() Params {
	p := Defaults()
	ms := float64(c.OneWay) / float64(time.Millisecond)
	p.T, p.Ta, p.Tr = ms, ms, 2*ms
	p.Ie, p.Bpl = c.Codec.Ie, c.Codec.Bpl
	p.Ppl = max(0, c.LossPercent)
	if c.BurstR > 0 {
		p.BurstR = c.BurstR
	}
	return p
}

// Estimate returns R and the MOS of a call.
func Estimate(c Call) (r, mos float64) {
	r = c.Params().R()
	return r, MOS(r)
}

func sq(x float64) float64 { return x * x }

// dBsum turns a level in dB into a power ratio to add.
func dBsum(db float64) float64 { return math.Pow(10, db/10) }
