package replay

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
)

var page = template.Must(template.New("replay").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>replay against {{.R.Target}}</title>
<style>body{font-family:sans-serif;margin:1.5em}pre{background:#f6f6f6;padding:1em;overflow-x:auto}
.ok{color:#070}.bad{color:#a00;font-weight:bold}.missing{color:#a00;background:#fdd}.extra{color:#070;background:#dfd}.same{color:#555}
table.ladders,table.side{border-collapse:collapse}table.side td{font-family:monospace;padding:1px .6em;border:1px solid #ddd}table.ladders td{vertical-align:top;padding:0 1em;border-left:1px solid #ccc}</style></head>
<body><h1>Replay against {{.R.Target}}</h1>
<p>{{.R.Dialogs}} dialogs, {{.R.Divergent}} divergent; {{.R.Sent}} messages sent, {{.R.Received}} received in {{.R.Duration}}.</p>
<h2>Verdicts</h2><ul>{{range .R.Verdicts}}<li>{{if .Equivalent}}<span class="ok">{{.Call}}: equivalent</span>{{else}}<span class="bad">{{.Call}}: divergent at step {{.Step}}</span>: expected <code>{{or .Expected "nothing"}}</code>, got <code>{{or .Got "nothing"}}</code>{{range .Notes}}<br><i>{{.}}</i>{{end}}{{end}}</li>
{{end}}</ul>
<h2>Differences</h2><pre>{{range .R.Result.Dialogs}}{{if not .Equal}}{{.Call}}
{{range .Lines}}<span class="{{if eq .Op 45}}missing{{else if eq .Op 43}}extra{{else}}same{{end}}">  {{printf "%c" .Op}} {{.Text}}</span>
{{end}}{{end}}{{end}}</pre>
<h2>Side by side</h2>{{range .R.Result.Dialogs}}{{if not .Equal}}<h3>{{.Call}}</h3><table class="side"><tr><th>capture</th><th>live</th></tr>
{{range .Lines}}<tr>{{if eq .Op 45}}<td class="missing">{{.Text}}</td><td class="missing">—</td>{{else if eq .Op 43}}<td class="extra">—</td><td class="extra">{{.Text}}</td>{{else}}<td class="same">{{.Text}}</td><td class="same">{{.Text}}</td>{{end}}</tr>
{{end}}</table>{{end}}{{end}}
{{if gt .R.Windows 1}}<p>Replayed in {{.R.Windows}} windows: {{.R.Omitted}} verdicts not listed, no ladders.</p>{{else}}<h2>Ladders</h2><table class="ladders"><tr><th>capture (system under test)</th><th>live ({{.R.Target}})</th></tr>
<tr><td>{{.Ref}}</td><td>{{.Live}}</td></tr></table>{{end}}
</body></html>
`))

// WriteHTML writes a self-contained page: the verdicts, the differences
// highlighted, each divergent dialog side by side (capture left, live
// right, the differing messages marked), and the ladders of the capture
// and of the live run, with the same party names.
func (r *Report) WriteHTML(w io.Writer) error {
	var ref, live bytes.Buffer
	if r.Windows <= 1 {
		if err := r.Reference.Ladder(r.refPkts).SVG(&ref); err != nil {
			return fmt.Errorf("replay html: %w", err)
		}
		if err := r.Live.Ladder(r.livePkts).SVG(&live); err != nil {
			return fmt.Errorf("replay html: %w", err)
		}
	}
	data := struct {
		R         *Report
		Ref, Live template.HTML
	}{r, template.HTML(ref.String()), template.HTML(live.String())} // ladder's own escaped SVG
	if err := page.Execute(w, data); err != nil {
		return fmt.Errorf("replay html: %w", err)
	}
	return nil
}
