package registrar

import (
	"testing"
	"time"
)

// TestBindingsCount: Registrar.Bindings counts unexpired registered
// bindings over every AOR, static contacts left out, whether the Store
// counts itself (mem, cached) or is read whole (sql).
func TestBindingsCount(t *testing.T) {
	for name, st := range stores(t) {
		t.Run(name, func(t *testing.T) {
			checkNoLeak(t)
			ctx := testCtx(t)
			r, clk := newReg(t, st, false, WithStatic("2000", "sip:2000@192.0.2.10"))
			for _, rg := range []reg{
				{user: "1000", expires: "60", contacts: []string{"sip:1000@10.0.0.5", "sip:1000@10.0.0.6"}},
				{user: "1001", expires: "600", contacts: []string{"sip:1001@10.0.0.7"}},
			} {
				if res := r.Handle(ctx, rg.build(t)); res.StatusCode != 200 {
					t.Fatalf("REGISTER %s: %d", rg.user, res.StatusCode)
				}
			}
			if n, err := r.Bindings(ctx); err != nil || n != 3 {
				t.Fatalf("Bindings = %d, %v; want 3", n, err)
			}
			clk.Advance(61 * time.Second) // 1000's two expire, not yet purged
			if n, err := r.Bindings(ctx); err != nil || n != 1 {
				t.Fatalf("Bindings after expiry = %d, %v; want 1", n, err)
			}
		})
	}
}
