package services_test

import (
	"context"
	"fmt"
	"testing"

	"pbxlab/pbx/internal/services"
	"pbxlab/pbx/internal/services/authority"
	"pbxlab/pbx/internal/services/emergency"
	"pbxlab/pbx/internal/services/restriction"
	"pbxlab/pbx/internal/services/switches"
)

// BenchmarkChain is what the services add to a call's routing: both
// points of a subscriber's call out, with 10,000 subscribers holding a
// role and a switch each, 100 groups of 100 numbers and 100 restrictions.
func BenchmarkChain(b *testing.B) {
	auth := authority.Config{
		Classes:     []authority.Class{{Name: "internal"}, {Name: "local", Prefixes: []string{"9"}}, {Name: "national", Prefixes: []string{"90"}}, {Name: "international", Prefixes: []string{"900"}}},
		Roles:       []authority.Role{{Name: "lobby", Class: "internal"}, {Name: "staff", Class: "national"}},
		DefaultRole: "staff",
	}
	subs := map[string]map[string]bool{}
	var lobby []string
	var rest restriction.Config
	for g := range 100 {
		grp := restriction.Group{Name: fmt.Sprintf("g%d", g)}
		for i := range 100 {
			n := fmt.Sprintf("2%02d%02d", g, i)
			grp.Numbers = append(grp.Numbers, n)
			subs[n] = map[string]bool{"abbreviated": i%2 == 0}
			if i%10 == 0 {
				lobby = append(lobby, n)
			}
		}
		rest.Groups = append(rest.Groups, grp)
		rest.Restrictions = append(rest.Restrictions, restriction.Restriction{From: grp.Name, To: fmt.Sprintf("g%d", (g+1)%100)})
	}
	auth.Members = []authority.Members{{Role: "lobby", Numbers: lobby}}
	a, err := authority.New(auth)
	if err != nil {
		b.Fatal(err)
	}
	r, err := restriction.New(rest)
	if err != nil {
		b.Fatal(err)
	}
	sw, err := switches.New(switches.Config{Subscribers: subs})
	if err != nil {
		b.Fatal(err)
	}
	ch, err := services.NewChain(sw, emergency.New(emergency.Config{Numbers: emergency.DefaultNumbers()}), a, r)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		c := services.Call{Caller: fmt.Sprintf("2%02d%02d", i%100, (i/100)%100), Subscriber: true, Dialled: "9010123456"}
		if _, err := ch.Dialled(ctx, &c); err != nil {
			b.Fatal(err)
		}
		c.Called = c.Dialled
		if _, err := ch.Routed(ctx, &c); err != nil {
			b.Fatal(err)
		}
	}
}
