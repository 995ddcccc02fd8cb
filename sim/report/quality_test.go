package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestQualitySummary: MOS percentiles from the worst up, loss mean and
// max, jitter and delay over the streams that have them, silent streams
// counted apart; the text and the JSON carry them.
func TestQualitySummary(t *testing.T) {
	c := NewCollector("q", "", time.Unix(0, 0))
	for i := range 20 {
		c.Quality(Stream{Received: 100, MOS: 4.4 - float64(i)*0.1, LossPercent: float64(i % 2), Jitter: time.Duration(i) * time.Millisecond,
			Delay: 10 * time.Millisecond, DelayKnown: i < 10})
	}
	c.Quality(Stream{}) // nothing arrived
	q := c.Report(time.Unix(1, 0)).Quality
	if q.Streams != 21 || q.Silent != 1 {
		t.Fatalf("streams %d silent %d, want 21 and 1", q.Streams, q.Silent)
	}
	if !near(q.MOSMin, 2.5) || !near(q.MOSP5, 2.5) || !near(q.MOSP50, 3.4) {
		t.Errorf("MOS min %.2f p5 %.2f p50 %.2f, want 2.5 2.5 3.4 (nearest rank: the 10th of 20)", q.MOSMin, q.MOSP5, q.MOSP50)
	}
	if !near(q.LossMean, 0.5) || q.LossMax != 1 || q.Jitter.Count != 20 || q.Jitter.Max != 19*time.Millisecond || q.Delay.Count != 10 || q.Delay.P50 != 10*time.Millisecond {
		t.Errorf("summary %+v", q)
	}
	var text bytes.Buffer
	if err := c.Report(time.Unix(1, 0)).Text(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "audio quality  21 streams (1 silent)  MOS min 2.50 p5 2.50 p50 3.40") {
		t.Errorf("text lacks the quality line:\n%s", text.String())
	}
	b, err := json.Marshal(c.Report(time.Unix(1, 0)))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"quality":{"streams":21,"silent":1,"mos_min":2.5,"mos_p5":2.5,"mos_p50":3.4`)) {
		t.Errorf("JSON lacks the quality: %s", b)
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }
