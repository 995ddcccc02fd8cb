package services

// Presentation is a caller's choice for one call of whether the callee is
// shown its number (Call.Presentation; pbx/internal/services/callerid's
// per-call codes set it, the PBX's caller ID rules read it).
type Presentation uint8

// Presentations.
const (
	// PresentDefault: the subscriber's setting decides (CLIR on or off).
	PresentDefault Presentation = iota
	// PresentRestricted: hide the number on this call.
	PresentRestricted
	// PresentAllowed: show the number on this call, whatever CLIR says.
	PresentAllowed
)
