package waiting

import "pbxlab/pbx/internal/services"

// Op is what a dialled number asks of the service (services.Toggle).
type Op = services.Toggle

// Ops.
const (
	None      = services.ToggleNone
	On        = services.ToggleOn
	Off       = services.ToggleOff
	Malformed = services.ToggleMalformed
)

// Parse reads *58# (on) and #58# (off); the "#" may arrive raw, escaped
// (%23) or stripped (the call layer removes a trailing one).
func Parse(dialled string) Op { return services.ParseToggle(dialled, "58") }
