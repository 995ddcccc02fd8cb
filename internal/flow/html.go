package flow

import (
	"bytes"
	"fmt"
	"html/template"
	"io"

	"pbxlab/internal/ladder"
	"pbxlab/internal/pcapio"
)

// Ladder lays out the capture's SIP messages as a ladder diagram whose
// columns carry the flow's roles.
func (f Flow) Ladder(pkts []pcapio.Packet) ladder.Diagram {
	var opts []ladder.Option
	for _, p := range f.Parties {
		for _, a := range p.Addrs {
			name := p.Role
			if p.User != "" {
				name += " " + p.User
			}
			opts = append(opts, ladder.WithName(a, name))
		}
	}
	return ladder.New(ladder.FromPackets(pkts), opts...)
}

var htmlPage = template.Must(template.New("flow").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>body{font-family:sans-serif;margin:1.5em}pre{background:#f6f6f6;padding:1em;overflow-x:auto}
.same{color:#555}.missing{color:#a00}.extra{color:#070}</style></head>
<body><h1>{{.Title}}</h1>
{{if .Result}}<h2>Comparison with the reference</h2><pre>{{range .Result.Dialogs}}{{.Call}}: {{if .Equal}}same{{else}}differs{{end}}
{{range .Lines}}<span class="{{if eq .Op 45}}missing{{else if eq .Op 43}}extra{{else}}same{{end}}">  {{printf "%c" .Op}} {{.Text}}</span>
{{end}}{{end}}</pre>{{end}}
<h2>Ladder</h2>{{.SVG}}
<h2>Normalised flow</h2><pre>{{.Text}}</pre>
</body></html>
`))

// WriteHTML writes a self-contained page: the comparison (if r is not
// nil), the ladder of the capture and the flow as text.
func (f Flow) WriteHTML(w io.Writer, title string, d ladder.Diagram, r *Result) error {
	var svg bytes.Buffer
	if err := d.SVG(&svg); err != nil {
		return fmt.Errorf("flow html: %w", err)
	}
	data := struct {
		Title  string
		SVG    template.HTML
		Text   string
		Result *Result
	}{title, template.HTML(svg.String()), f.String(), r} // the SVG is ladder's own escaped output
	if err := htmlPage.Execute(w, data); err != nil {
		return fmt.Errorf("flow html: %w", err)
	}
	return nil
}
