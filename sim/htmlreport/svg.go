package htmlreport

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// The plots' geometry, in SVG user units.
const (
	plotW, plotH = 640, 220
	padL, padR   = 56, 16
	padT, padB   = 24, 40
)

// line is one series of a line chart.
type line struct {
	name, color string
	ys          []float64
}

// niceMax rounds m up to 1, 2 or 5 times a power of ten (at least 1).
func niceMax(m float64) float64 {
	if m <= 1 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(m)))
	for _, f := range []float64{1, 2, 5, 10} {
		if f*p >= m {
			return f * p
		}
	}
	return 10 * p
}

// num formats an axis value without needless decimals.
func num(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.2g", v)
}

// frame opens an SVG with a title and y axis ticks (0, top/2, top).
func frame(b *strings.Builder, title, yLabel string, top float64) {
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" class="plot">`,
		plotW, plotH, plotW, plotH)
	fmt.Fprintf(b, `<title>%s</title><text x="%d" y="16" class="t">%s</text>`, html.EscapeString(title), padL, html.EscapeString(title))
	for _, f := range []float64{0, 0.5, 1} {
		y := float64(plotH-padB) - f*float64(plotH-padT-padB)
		fmt.Fprintf(b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" class="grid"/><text x="%d" y="%.1f" class="ax" text-anchor="end">%s</text>`,
			padL, plotW-padR, y, y, padL-4, y+4, num(f*top))
	}
	fmt.Fprintf(b, `<text x="12" y="%d" class="ax" transform="rotate(-90 12 %d)" text-anchor="middle">%s</text>`,
		(plotH-padB+padT)/2, (plotH-padB+padT)/2, html.EscapeString(yLabel))
}

// lineChart draws series against xs (seconds since the start).
func lineChart(title, yLabel string, xs []float64, lines []line) string {
	var b strings.Builder
	top := 0.0
	for _, l := range lines {
		for _, y := range l.ys {
			top = max(top, y)
		}
	}
	top = niceMax(top)
	xmax := 1.0
	if len(xs) > 0 {
		xmax = max(xs[len(xs)-1], 1)
	}
	frame(&b, title, yLabel, top)
	x := func(v float64) float64 { return padL + v/xmax*float64(plotW-padL-padR) }
	y := func(v float64) float64 { return float64(plotH-padB) - v/top*float64(plotH-padT-padB) }
	for _, f := range []float64{0, 0.5, 1} {
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="ax" text-anchor="middle">%ss</text>`, x(f*xmax), plotH-padB+14, num(math.Round(f*xmax)))
	}
	for i, l := range lines {
		if len(l.ys) == 0 {
			continue
		}
		var pts []string
		for j, v := range l.ys {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(xs[j]), y(v)))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"><title>%s</title></polyline>`,
			l.color, strings.Join(pts, " "), html.EscapeString(l.name))
		lx := padL + 8 + i*140
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d" class="ax">%s</text>`,
			lx, plotH-14, l.color, lx+14, plotH-5, html.EscapeString(l.name))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// bar is one bar of a bar chart.
type bar struct {
	label, color string
	value        float64
}

// barChart draws one bar per value, labelled under it.
func barChart(title, yLabel string, bars []bar) string {
	var b strings.Builder
	top := 0.0
	for _, br := range bars {
		top = max(top, br.value)
	}
	top = niceMax(top)
	frame(&b, title, yLabel, top)
	if len(bars) == 0 {
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="ax">no data</text></svg>`, plotW/2, plotH/2)
		return b.String()
	}
	w := float64(plotW-padL-padR) / float64(len(bars))
	every := max(1, len(bars)/16) // label at most 16 bars
	for i, br := range bars {
		h := br.value / top * float64(plotH-padT-padB)
		x := padL + float64(i)*w
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: %s</title></rect>`,
			x+1, float64(plotH-padB)-h, max(w-2, 1), h, br.color, html.EscapeString(br.label), num(br.value))
		if i%every == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="ax" text-anchor="middle">%s</text>`, x+w/2, plotH-padB+14, html.EscapeString(br.label))
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}
