package capmut

import (
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"pbxlab/internal/sipwire"
)

var digestUser = regexp.MustCompile(`username="([^"]*)"`)

// usersOf lists the users a capture names: From, To, Request-URI, Contact
// and digest usernames.
func usersOf(t *testing.T, c []sipwire.Message) []string {
	t.Helper()
	var out []string
	add := func(u string) {
		if u != "" && !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	for _, m := range c {
		add(m.Msg.From().Address.User)
		add(m.Msg.To().Address.User)
		if req, ok := m.Msg.(*sip.Request); ok {
			add(req.Recipient.User)
			for _, n := range []string{"Authorization", "Proxy-Authorization"} {
				if h := req.GetHeader(n); h != nil {
					if sm := digestUser.FindStringSubmatch(h.Value()); sm != nil {
						add(sm[1])
					}
				}
			}
		}
	}
	return out
}

// TestCloneWithUsers: with WithUsers(2000), basic-call's users 1001 and
// 1002 are 2000 and 2001 in clone 0, 2002 and 2003 in clone 1, wherever
// the capture names them (the digest username too); without it, clones
// keep the template's.
func TestCloneWithUsers(t *testing.T) {
	msgs := golden(t, "basic-call")
	tpl, err := NewTemplate(msgs, WithUsers(2000))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range [][]string{{"2000", "2001"}, {"2002", "2003"}} {
		c, err := tpl.Clone(i, time.Date(2030, 1, 1, 0, 0, i, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		got := usersOf(t, c)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("clone %d names users %v, want %v", i, got, want)
		}
	}
	plain, err := NewTemplate(msgs)
	if err != nil {
		t.Fatal(err)
	}
	c, err := plain.Clone(3, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	got := usersOf(t, c)
	slices.Sort(got)
	if want := []string{"1001", "1002"}; !slices.Equal(got, want) {
		t.Errorf("clone without WithUsers names %v, want %v", got, want)
	}
}
