package ladder

import (
	"bufio"
	"fmt"
	"html"
	"io"
)

// Layout of the SVG, in pixels.
const (
	colWidth   = 190 // distance between two columns
	timeWidth  = 80  // left margin holding the time offsets
	headHeight = 46  // column headers
	rowHeight  = 26  // one message
	footHeight = 20
	arrowHead  = 7
)

// SVG writes the diagram as one <svg> element: column headers (name and
// address), a life line per column, one arrow per message with its label
// above it and its tooltip (<title>), the time since the first message on
// the left. Responses are dashed. An empty diagram draws a note saying
// there were no SIP messages.
func (d Diagram) SVG(w io.Writer) error {
	bw := bufio.NewWriter(w)
	cols := max(len(d.Endpoints), 1)
	width := timeWidth + cols*colWidth
	height := headHeight + (len(d.Messages)+1)*rowHeight + footHeight
	if d.Omitted > 0 {
		height += rowHeight
	}
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" class="ladder" width="%d" height="%d" viewBox="0 0 %d %d" font-family="monospace" font-size="11">`+"\n",
		width, height, width, height)
	if len(d.Messages) == 0 {
		fmt.Fprintf(bw, `<text x="%d" y="%d">no SIP messages in the capture</text>`+"\n", timeWidth, headHeight/2)
		bw.WriteString("</svg>\n")
		return flush(bw)
	}
	col := make(map[string]int, len(d.Endpoints))
	bottom := headHeight + (len(d.Messages)+1)*rowHeight
	for i, e := range d.Endpoints {
		col[e.Addr.String()] = i
		x := colX(i)
		if e.Name != "" {
			fmt.Fprintf(bw, `<text x="%d" y="16" text-anchor="middle" font-weight="bold">%s</text>`+"\n", x, esc(e.Name))
		}
		fmt.Fprintf(bw, `<text x="%d" y="32" text-anchor="middle">%s</text>`+"\n", x, esc(e.Addr.String()))
		fmt.Fprintf(bw, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#999"/>`+"\n", x, headHeight-6, x, bottom)
	}
	t0 := d.Messages[0].Time
	for i, m := range d.Messages {
		y := headHeight + (i+1)*rowHeight
		x1, x2 := colX(col[m.Src.String()]), colX(col[m.Dst.String()])
		fmt.Fprintf(bw, `<g><title>%s</title>`, esc(m.Detail))
		fmt.Fprintf(bw, `<text x="4" y="%d" fill="#666">+%.3fs</text>`, y+4, m.Time.Sub(t0).Seconds())
		dash := ""
		if m.Response {
			dash = ` stroke-dasharray="5,3"`
		}
		if x1 == x2 { // to itself: a small loop
			fmt.Fprintf(bw, `<path d="M%d,%d h30 v10 h-30" fill="none" stroke="#333"%s/>`, x1, y-5, dash)
			head(bw, x1, y+5, -1)
			fmt.Fprintf(bw, `<text x="%d" y="%d">%s</text>`, x1+34, y, esc(m.Label))
		} else {
			fmt.Fprintf(bw, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"%s/>`, x1, y, x2, y, dash)
			dir := 1
			if x2 < x1 {
				dir = -1
			}
			head(bw, x2, y, dir)
			fmt.Fprintf(bw, `<text x="%d" y="%d" text-anchor="middle">%s</text>`, (x1+x2)/2, y-4, esc(m.Label))
		}
		bw.WriteString("</g>\n")
	}
	if d.Omitted > 0 {
		fmt.Fprintf(bw, `<text x="%d" y="%d" fill="#a00">… %d more messages not drawn</text>`+"\n", timeWidth, bottom+rowHeight, d.Omitted)
	}
	bw.WriteString("</svg>\n")
	return flush(bw)
}

// head draws an arrowhead whose tip is at (x, y), pointing right (dir 1)
// or left (dir -1). A polygon rather than an SVG marker: markers are
// referenced by id, and several diagrams inlined in one page would share
// (or hide, inside a closed <details>) each other's.
func head(bw *bufio.Writer, x, y, dir int) {
	fmt.Fprintf(bw, `<polygon points="%d,%d %d,%d %d,%d" fill="#333"/>`, x, y, x-dir*arrowHead, y-4, x-dir*arrowHead, y+4)
}

func colX(i int) int { return timeWidth + i*colWidth + colWidth/2 }

func esc(s string) string { return html.EscapeString(s) }

func flush(bw *bufio.Writer) error {
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write ladder: %w", err)
	}
	return nil
}
