package phone

import (
	"errors"
	"testing"
	"time"
)

// TestListenAll: a leg hears the far end's identity as a set of one; a
// set with an identity nobody sends is not heard (the missing chord tones);
// the leg's own identity is refused outright, and an echo of it spoils the
// check.
func TestListenAll(t *testing.T) {
	checkLeaks(t)
	out, _ := negativeCall(t, PhoneConfig{Number: "5001"})
	if _, err := out.ListenAll(testCtx(t, 5*time.Second), []Identity{IdentityFor("5001")}); err != nil {
		t.Fatalf("the caller does not hear the callee: %v", err)
	}
	res, err := out.ListenAll(testCtx(t, 1500*time.Millisecond), []Identity{IdentityFor("5001"), IdentityFor("5002")})
	if !errors.Is(err, ErrNotHeard) || res.Detail.Reason != "expected tone missing from the chord" {
		t.Fatalf("a set with a silent member: %v (%s), want ErrNotHeard for a missing tone", err, res.Detail.Reason)
	}
	if _, err := out.ListenAll(testCtx(t, time.Second), []Identity{IdentityFor("5000")}); !errors.Is(err, ErrSameIdentity) {
		t.Fatalf("listening for its own identity: %v, want ErrSameIdentity", err)
	}

	echo, _ := negativeCall(t, PhoneConfig{Number: "5001", Echo: true})
	if _, err := echo.ListenAll(testCtx(t, 1500*time.Millisecond), []Identity{IdentityFor("5001")}); !errors.Is(err, ErrNotHeard) {
		t.Fatalf("a callee echoing the caller: %v, want ErrNotHeard (own tones present)", err)
	}
}
