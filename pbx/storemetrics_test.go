package pbx_test

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"pbxlab/pbx"
	"pbxlab/sim/phone"
)

// TestStoreMetrics: the SQLite writers' group commits and the writes they
// carried are counted: a registration is a write of the bindings' writer,
// a call a write (or more) of the CDR writer.
func TestStoreMetrics(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	in, base := startPBXAdmin(t)
	counter := func(body, name, writer string) float64 {
		t.Helper()
		re := regexp.MustCompile(fmt.Sprintf(`(?m)^%s\{writer="%s"\} (\S+)$`, name, writer))
		m := re.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("metrics lack %s{writer=%q}", name, writer)
		}
		v, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	_, _, before := httpGet(ctx, t, base+"/metrics")
	ps := registered(ctx, t, in.Target(), phone.Config{}, "1000", "1001")
	c, callee := talk(ctx, t, ps["1000"], ps["1001"])
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := callee.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	waitCDRs(ctx, t, in, func(rs []pbx.CDR) bool { return len(rs) == 1 && !rs[0].End.IsZero() })
	_, _, after := httpGet(ctx, t, base+"/metrics")
	for _, w := range []string{"bindings", "cdr"} {
		commits := counter(after, "pbxlab_store_commits_total", w) - counter(before, "pbxlab_store_commits_total", w)
		writes := counter(after, "pbxlab_store_writes_total", w) - counter(before, "pbxlab_store_writes_total", w)
		if commits < 1 || writes < commits {
			t.Errorf("writer %s: %v commits of %v writes after two registrations and a call", w, commits, writes)
		}
	}
}
