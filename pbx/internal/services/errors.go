package services

import (
	"errors"
	"slices"
)

var (
	// ErrDuplicate: two services of a chain have the same name.
	ErrDuplicate = errors.New("service named twice")
	// ErrSwitchedOff: the caller dialled a feature code of a service that
	// is switched off for it.
	ErrSwitchedOff = errors.New("service switched off")
	// ErrLateRewrite: a Routed hook asked to rewrite the number, which
	// only a Dialled hook may do (number analysis is over).
	ErrLateRewrite = errors.New("rewrite after number analysis")
	// ErrEarlyDivert: a Dialled or Routed hook asked to divert the call,
	// which only a Terminating or Failed hook may do.
	ErrEarlyDivert = errors.New("divert before the callee is known")
)

// Names returns the service names the switches know: one per
// service folder (srv-switch <name> on|off). A service added to the PBX
// adds its name here.
func Names() []string {
	ns := []string{"abbreviated", "authority", "dnd", "forward", "group_restriction", "hunt", "waiting",
		"hotline",
		"secretary",
		"presence",
		"clir",
		"clip",
		"three_party",
		"hold",
		"ci",
		"password",
		"notification",
		"wakeup",
		"park",
		"callback",
	}
	slices.Sort(ns)
	return ns
}
