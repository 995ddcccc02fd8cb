package clock

import (
	"testing"
	"time"
)

func TestFakeFiresInOrderOnlyWhenDue(t *testing.T) {
	c := NewFake(time.Unix(0, 0))
	got := make(chan int, 3)
	c.AfterFunc(2*time.Second, func() { got <- 2 })
	c.AfterFunc(time.Second, func() { got <- 1 })
	stopped := c.AfterFunc(time.Second, func() { got <- 99 })
	if !stopped.Stop() {
		t.Fatal("Stop on a pending timer reported false")
	}
	c.Advance(500 * time.Millisecond)
	select {
	case v := <-got:
		t.Fatalf("timer %d fired before it was due", v)
	case <-time.After(20 * time.Millisecond):
	}
	c.Advance(2 * time.Second)
	want := map[int]bool{1: true, 2: true}
	for range 2 {
		select {
		case v := <-got:
			if !want[v] {
				t.Fatalf("unexpected timer %d", v)
			}
			delete(want, v)
		case <-time.After(time.Second):
			t.Fatal("due timer did not fire")
		}
	}
	if c.Pending() != 0 {
		t.Fatalf("Pending = %d, want 0", c.Pending())
	}
}

func TestFakeResetRearms(t *testing.T) {
	c := NewFake(time.Unix(0, 0))
	fired := make(chan struct{}, 2)
	tm := c.AfterFunc(time.Second, func() { fired <- struct{}{} })
	c.Advance(time.Second)
	<-fired
	if tm.Reset(time.Second) {
		t.Fatal("Reset of a fired timer reported pending")
	}
	c.Advance(999 * time.Millisecond)
	select {
	case <-fired:
		t.Fatal("re-armed timer fired early")
	case <-time.After(20 * time.Millisecond):
	}
	c.Advance(time.Millisecond)
	select {
	case <-fired:
	case <-time.After(time.Second):
		t.Fatal("re-armed timer never fired")
	}
}

func TestAfterDelivers(t *testing.T) {
	c := NewFake(time.Unix(100, 0))
	ch := c.After(time.Minute)
	c.Advance(time.Minute)
	select {
	case at := <-ch:
		if !at.Equal(time.Unix(160, 0)) {
			t.Fatalf("After delivered %v", at)
		}
	case <-time.After(time.Second):
		t.Fatal("After never delivered")
	}
}
