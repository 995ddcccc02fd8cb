package services

import (
	"context"
	"errors"
	"testing"
	"time"
)

// busyFor is a Member busy for a set of members.
type busyFor struct {
	name string
	busy map[string]bool
	err  error
}

func (b busyFor) Name() string { return b.name }
func (b busyFor) MemberBusy(_ context.Context, m string) (bool, error) {
	return b.busy[m], b.err
}

// offFor switches a service off for one number.
type offFor struct{ service, number string }

func (o offFor) On(service, number string) bool { return service != o.service || number != o.number }

// TestMemberBusy: the first service that makes a member busy names
// itself; a service switched off for the member is not asked; an error
// is the service's.
func TestMemberBusy(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	boom := errors.New("boom")
	ch, err := NewChain(offFor{"dnd", "1003"}, nil,
		busyFor{name: "dnd", busy: map[string]bool{"1001": true, "1003": true}},
		busyFor{name: "waiting", busy: map[string]bool{"1002": true}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		member, by string
		busy       bool
	}{{"1001", "dnd", true}, {"1002", "waiting", true}, {"1003", "", false}, {"1004", "", false}} {
		by, busy, err := ch.MemberBusy(ctx, tc.member)
		if err != nil || by != tc.by || busy != tc.busy {
			t.Errorf("MemberBusy(%s) = %q %v %v, want %q %v", tc.member, by, busy, err, tc.by, tc.busy)
		}
	}
	bad, _ := NewChain(nil, nil, busyFor{name: "dnd", err: boom})
	if _, _, err := bad.MemberBusy(ctx, "1001"); !errors.Is(err, boom) {
		t.Errorf("MemberBusy: %v, want boom", err)
	}
}
