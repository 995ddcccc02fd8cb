package numbering

import "fmt"

// Result is number analysis' answer for one dialled number.
type Result struct {
	Entry
	At     Located // the dialled number read in the caller's location
	Called string  // the called number after location-based substitution: At.Number
}

// Analyse reads dialled in the caller's location and context (the manual:
// "analyses the dialled number, finds the called device") and returns the
// entry of the longest matching prefix whose length range holds the
// number. A context without a match falls back to its parent (Inherit).
// A number that may still grow into a match (too short for a prefix that
// matches it, or the beginning of a longer prefix) makes ErrIncomplete
// when no entry takes it; otherwise ErrVacant; a Reject entry gives
// ErrBarred wrapped with its cause.
func (p *Plan) Analyse(context string, from Location, dialled string) (Result, error) {
	if context == "" {
		context = DefaultContext
	}
	if from == (Location{}) {
		from = p.Home
	}
	loc := p.locate(from, dialled)
	incomplete := false
	for ctx := context; ctx != ""; ctx = p.parent(ctx) {
		e, ok, short := p.lookup(ctx, loc.Location, loc.Number)
		incomplete = incomplete || short
		if !ok {
			continue
		}
		r := Result{Entry: e, At: loc, Called: loc.Number}
		if e.Kind == Reject {
			cause := e.Cause
			if cause == 0 {
				cause = 403
			}
			r.Cause = cause
			return r, fmt.Errorf("analyse %s: %w (%d)", dialled, ErrBarred, cause)
		}
		return r, nil
	}
	if incomplete {
		return Result{At: loc}, fmt.Errorf("analyse %s: %w", dialled, ErrIncomplete)
	}
	return Result{At: loc}, fmt.Errorf("analyse %s: %w", dialled, ErrVacant)
}

// lookup is the longest-prefix match in one context and location. short
// reports a number that may still grow into a match: a prefix matched it
// below its minimum length, or it is the beginning of a longer prefix.
func (p *Plan) lookup(ctx string, loc Location, number string) (e Entry, ok, short bool) {
	byPrefix := p.entries[ctx][loc]
	if byPrefix == nil {
		return Entry{}, false, false
	}
	short = p.partial[ctx][loc][number]
	for n := len(number); n >= 0; n-- {
		for _, c := range byPrefix[number[:n]] {
			switch {
			case len(number) < c.MinLen:
				short = true
			case c.MaxLen > 0 && len(number) > c.MaxLen:
			default:
				return c, true, short
			}
		}
	}
	return Entry{}, false, short
}
