package report

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestWriteHTML(t *testing.T) {
	d := Doc{
		Title: "pbxlab conform: kamailio",
		Meta:  []KV{{"target", "127.0.0.1:5060"}},
		Notes: []string{"nothing could run: <no answer>"},
		Scenarios: []Scenario{
			{Feature: "Basic calls", Name: "passes", Status: StatusPassed, Duration: 1500 * time.Millisecond,
				Steps:    []Step{{Keyword: "Given", Text: "phone 1001 is registered", Status: "passed"}},
				Captures: []Link{{Name: "a.pcapng", Href: "captures/a.pcapng"}},
				Ladder:   []byte(`<svg id="ladder-ok"></svg>`)},
			{Feature: "Redirect", Name: "skipped one", Status: StatusSkipped, Error: "needs configuration"},
			{Feature: "Basic calls", Name: "fails", Status: StatusFailed, Error: "expectation not met: <script>alert(1)</script>",
				Steps: []Step{
					{Keyword: "When", Text: "1001 calls 1002", Status: "failed", Error: "no answer"},
					{Keyword: "Then", Text: "the call ends normally", Status: "skipped"},
					{Keyword: "Then", Text: "never reached"},
				}},
			{Feature: "Basic calls", Name: "not run", Status: StatusNotRun, Error: "target did not answer"},
		},
		Torture: &Torture{Summary: "2 results", Rows: []TortureRow{
			{Message: "rfc4475/wsinv", Transport: "udp", RFC: "481|407", Expected: "400", Deviates: true, Got: "400 Bad Request", Pass: true},
			{Message: "rfc4475/badinv01", Transport: "udp", RFC: "400", Expected: "400", Got: "no response", Problem: "expected 400, got no response"},
		}},
	}
	var b bytes.Buffer
	if err := WriteHTML(&b, d); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	order := []string{"fails", "not run", "passes", "skipped one"}
	last := -1
	for _, name := range order {
		i := strings.Index(html, "/ "+name+"<br>")
		if i < 0 || i < last {
			t.Errorf("scenario %q missing or out of order (failed, not run, passed, skipped)", name)
		}
		last = i
	}
	for _, want := range []string{
		`<svg id="ladder-ok"></svg>`,                       // the ladder inlined
		`href="captures/a.pcapng"`,                         // the capture linked
		"&lt;script&gt;alert(1)&lt;/script&gt;",            // errors escaped
		"[not run] Then never reached",                     // a step that never ran
		`<li class="failed">[failed] When 1001 calls 1002`, // the failed step marked
		"nothing could run: &lt;no answer&gt;",
		"1 failed", "1 not run", "1 passed", "1 skipped",
		`<span class="dev">DEVIATES</span>`, "expected 400, got no response",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(html, "<script>") || strings.Contains(html, "http://") && !strings.Contains(html, "www.w3.org") {
		t.Error("report has a script or an external reference")
	}
	if d.Scenarios[0].Name != "passes" {
		t.Error("WriteHTML reordered the caller's slice")
	}
}
