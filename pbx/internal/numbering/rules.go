package numbering

import (
	"fmt"
	"strings"
)

// Which names the number a rule changes.
type Which int

// The two numbers of a call.
const (
	Calling Which = iota + 1
	Called
)

func (w Which) String() string {
	if w == Calling {
		return "calling"
	}
	return "called"
}

// Rule is one substitution rule: a number (Which) starting with Prefix and
// MinLen..MaxLen digits long (0: no bound) loses its first Strip digits and
// gets Prepend in front; with Replace set, the matched Prefix is replaced
// by Replace instead (Strip and Prepend unused).
type Rule struct {
	Which   Which
	Prefix  string
	MinLen  int
	MaxLen  int
	Strip   int
	Prepend string
	Replace *string
}

// Matches reports whether r applies to number.
func (r Rule) Matches(number string) bool {
	return strings.HasPrefix(number, r.Prefix) && len(number) >= r.MinLen && (r.MaxLen == 0 || len(number) <= r.MaxLen)
}

// Apply returns number as r rewrites it; r must match it.
func (r Rule) Apply(number string) string {
	if r.Replace != nil {
		return *r.Replace + number[len(r.Prefix):]
	}
	strip := min(r.Strip, len(number))
	return r.Prepend + number[strip:]
}

func (r Rule) check() error {
	if r.Which != Calling && r.Which != Called {
		return fmt.Errorf("rule %q: which number (calling or called)", r.Prefix)
	}
	if r.MinLen < 0 || r.MaxLen < 0 || (r.MaxLen > 0 && r.MinLen > r.MaxLen) || r.Strip < 0 {
		return fmt.Errorf("rule %q: lengths %d..%d, strip %d", r.Prefix, r.MinLen, r.MaxLen, r.Strip)
	}
	if r.Replace != nil && (r.Strip != 0 || r.Prepend != "") {
		return fmt.Errorf("rule %q: replace excludes strip and prepend", r.Prefix)
	}
	return nil
}

// Table is a named, ordered list of rules: the first that matches applies.
type Table struct {
	Name  string
	Rules []Rule
}

// first returns the first rule of rs that changes which and matches number.
func first(rs []Rule, which Which, number string) (Rule, bool) {
	for _, r := range rs {
		if r.Which == which && r.Matches(number) {
			return r, true
		}
	}
	return Rule{}, false
}

// Scope is what a binding attaches rules and tables to.
type Scope int

// Scopes of the manual's precedence lists.
const (
	ScopeCallingNumber Scope = iota + 1 // a subscriber number, when it calls
	ScopeCalledNumber                   // a number, when it is called
	ScopeOrigDevice                     // a device, when calls come from it
	ScopeTermDevice                     // a device, when calls go to it
	ScopeGlobal                         // the LS
)

var scopeNames = map[Scope]string{ScopeCallingNumber: "calling-number", ScopeCalledNumber: "called-number",
	ScopeOrigDevice: "originating-device", ScopeTermDevice: "terminating-device", ScopeGlobal: "global"}

func (s Scope) String() string { return scopeNames[s] }

// ParseScope is the inverse of Scope.String.
func ParseScope(s string) (Scope, bool) {
	for k, n := range scopeNames {
		if n == s {
			return k, true
		}
	}
	return 0, false
}

// Binding attaches rules and named tables to a number, a device or the LS
// (Key: the number, the device's name, "" for global).
type Binding struct {
	Scope  Scope
	Key    string
	Rules  []Rule
	Tables []string
}
