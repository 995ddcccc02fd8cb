package carrier

import (
	"errors"
	"strings"
	"testing"
	"time"

	"pbxlab/internal/clock"
	"pbxlab/sim/phone"
)

func TestRegisterDigest(t *testing.T) {
	tests := []struct {
		name      string
		username  string
		password  string
		expires   time.Duration
		wantCode  int
		wantGrant time.Duration
		wantBound bool
	}{
		{name: "good password", username: "trunk", password: "secret", expires: 600 * time.Second, wantCode: 200, wantGrant: 600 * time.Second, wantBound: true},
		{name: "capped at max", username: "trunk", password: "secret", expires: 7200 * time.Second, wantCode: 200, wantGrant: 1800 * time.Second, wantBound: true},
		{name: "bad password", username: "trunk", password: "wrong", expires: 600 * time.Second, wantCode: 403},
		{name: "unknown user", username: "mallory", password: "secret", expires: 600 * time.Second, wantCode: 403},
		{name: "no password", username: "trunk", expires: 600 * time.Second, wantCode: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testCtx(t, 10*time.Second)
			c := newCarrier(t, Config{MaxExpires: 1800 * time.Second})
			pbx := newPBX(t, c)
			p := newPhone(t, pbx, phone.PhoneConfig{Number: "pbx", Username: tt.username, Password: tt.password, Expires: tt.expires})
			reg, err := p.Register(ctx)
			if reg.Code != tt.wantCode {
				t.Fatalf("REGISTER code = %d (%v), want %d", reg.Code, err, tt.wantCode)
			}
			if tt.wantCode != 200 {
				if !errors.Is(err, phone.ErrAuth) {
					t.Errorf("error %v, want ErrAuth", err)
				}
				if _, _, ok := c.Registered(tt.username); ok {
					t.Errorf("%s bound after %d", tt.username, tt.wantCode)
				}
				st := c.RegisterStats()
				if st.Challenges < 1 {
					t.Errorf("stats %+v: no challenge", st)
				}
				return
			}
			if reg.Expires != tt.wantGrant {
				t.Errorf("phone sees %s granted, want %s", reg.Expires, tt.wantGrant)
			}
			contact, expires, ok := c.Registered(tt.username)
			if !ok || contact != p.Contact() || expires != tt.wantGrant {
				t.Errorf("Registered = %q %s %v, want %q %s true", contact, expires, ok, p.Contact(), tt.wantGrant)
			}
			st := c.RegisterStats()
			if st.Registers != 2 || st.Challenges != 1 || st.Rejected != 0 {
				t.Errorf("stats %+v, want 2 REGISTERs (one challenged) and 1 challenge", st)
			}
		})
	}
}

func TestRegisterTooBrief(t *testing.T) {
	ctx := testCtx(t, 10*time.Second)
	c := newCarrier(t, Config{MinExpires: 120 * time.Second})
	pbx := newPBX(t, c)
	// The phone retries once with Min-Expires after 423 (RFC 3261 §10.2.8).
	p := newPhone(t, pbx, phone.PhoneConfig{Number: "pbx", Username: "trunk", Password: "secret", Expires: 30 * time.Second})
	reg, err := p.Register(ctx)
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	if reg.Expires != 120*time.Second {
		t.Errorf("granted %s after 423, want 120s", reg.Expires)
	}
	if st := c.RegisterStats(); st.Rejected != 1 {
		t.Errorf("stats %+v: want the 423 counted", st)
	}
}

func TestReregistrationAndExpiry(t *testing.T) {
	ctx := testCtx(t, 10*time.Second)
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	c := newCarrier(t, Config{MinExpires: time.Second}, WithClock(clk))
	pbx := newPBX(t, c)
	p := newPhone(t, pbx, phone.PhoneConfig{Number: "pbx", Username: "trunk", Password: "secret", Expires: 60 * time.Second})
	if _, err := p.Register(ctx); err != nil {
		t.Fatalf("Register: %v", err)
	}
	first, err := c.WaitRegistered(ctx, "trunk", 1)
	if err != nil {
		t.Fatal(err)
	}
	// A second REGISTER on the same Call-ID is a re-registration.
	if _, err := p.Register(ctx); err != nil {
		t.Fatalf("re-Register: %v", err)
	}
	second, err := c.WaitRegistered(ctx, "trunk", 2)
	if err != nil {
		t.Fatal(err)
	}
	if second.CallID != first.CallID || second.Registrations != 2 {
		t.Errorf("re-registration %+v after %+v: want same Call-ID, 2 registrations", second, first)
	}
	clk.Advance(59 * time.Second)
	if _, _, ok := c.Registered("trunk"); !ok {
		t.Fatal("binding gone before its lifetime")
	}
	clk.Advance(2 * time.Second)
	if _, _, ok := c.Registered("trunk"); ok {
		t.Fatal("binding live after its lifetime")
	}
}

func TestUnregister(t *testing.T) {
	ctx := testCtx(t, 10*time.Second)
	c := newCarrier(t, Config{})
	pbx := newPBX(t, c)
	p := newPhone(t, pbx, phone.PhoneConfig{Number: "pbx", Username: "trunk", Password: "secret"})
	if _, err := p.Register(ctx); err != nil {
		t.Fatalf("Register: %v", err)
	}
	if _, err := p.Unregister(ctx); err != nil {
		t.Fatalf("Unregister: %v", err)
	}
	if err := c.WaitUnregistered(ctx, "trunk"); err != nil {
		t.Fatal(err)
	}
	if b, ok := c.Binding("trunk"); ok || b.Registrations != 1 {
		t.Errorf("binding %+v live=%v after unregister", b, ok)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"empty username", Config{Accounts: []Account{{Password: "x"}}}, "accounts[0].username"},
		{"duplicate username", Config{Accounts: []Account{{Username: "a"}, {Username: "a"}}}, "accounts[1].username"},
		{"min above max", Config{MinExpires: time.Hour, MaxExpires: time.Minute}, "min_expires"},
		{"bad reject code", Config{Numbers: map[string]Behaviour{"00": {Action: Reject, Code: 200}}}, "numbers[00].code"},
		{"bad action", Config{Default: Behaviour{Action: 42}}, "default.action"},
		{"bad pbx", Config{PBX: "nohostport"}, "pbx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New = %v, want ErrConfig naming %q", err, tt.want)
			}
		})
	}
}
