package scenario

import (
	"fmt"
	"math"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Journey step kinds (calls.journey[i]).
const (
	StepDTMF       = "dtmf"
	StepWait       = "wait"
	StepHold       = "hold"
	StepTransfer   = "transfer"
	StepConference = "conference"
	StepHangup     = "hangup"
)

// Who performs a step (calls.journey[i].by).
const (
	ByCaller = "caller"
	ByCallee = "callee"
)

// Transfer kinds (calls.journey[i].transfer.kind).
const (
	TransferBlind    = "blind"
	TransferAttended = "attended"
)

// Limits of a journey.
const (
	// MaxJourneySteps bounds calls.journey.
	MaxJourneySteps = 32
	// maxStepDuration bounds a wait or a hold.
	maxStepDuration = time.Hour
	maxDigits       = 64
)

// stepKinds lists the kinds, for messages.
const stepKinds = "dtmf, wait, hold, transfer, conference or hangup"

// Step is one thing the caller does on an answered call (calls.journey): a
// mapping of one key (its kind) to its argument, or the bare word hangup.
//
//   - dtmf: "1#"                           keys as RFC 4733 events, else SIP INFO
//   - wait: 2s
//   - hold: 5s                             re-INVITE sendonly, resume after 5s
//   - transfer: {to: "1003", kind: blind}  REFER; to "" draws a phone; kind attended
//     holds, calls the target and REFERs with Replaces
//   - conference: "800"                    a second call to the room, kept to the end
//   - hangup
//
// A mapping may add by: callee (the callee's leg performs the step).
type Step struct {
	// Kind is one of the Step* kinds.
	Kind string
	// Digits are the keys of a dtmf step (0-9 * # A-D).
	Digits string
	// Duration is a wait's length or how long a hold lasts.
	Duration time.Duration
	// To is the number a transfer goes to or the conference's number.
	// A transfer's To left out is drawn per call by the plan: a phone of
	// the population told to answer, neither the caller nor the callee.
	To string
	// By is who performs the step: caller (default) or callee (the
	// callee's leg, when the callee is one of the run's phones).
	By string
	// TransferKind is blind (the default: REFER to the number) or
	// attended (hold, call the number, REFER with Replaces naming that
	// call once it answered).
	TransferKind string

	// line is the step's line in the file; bad is a problem found while
	// decoding (field relative to the step, message).
	line     int
	badField string
	bad      string
}

// transferArgs is the mapping of a transfer step.
type transferArgs struct {
	To   string `yaml:"to"`
	Kind string `yaml:"kind"`
}

// UnmarshalYAML decodes a step: "hangup", or a mapping of exactly one
// known kind to its argument. A problem of form is kept for validate,
// which names the step's field and line.
func (s *Step) UnmarshalYAML(n *yaml.Node) error {
	s.line = n.Line
	switch n.Kind {
	case yaml.ScalarNode:
		s.Kind = strings.ToLower(n.Value)
		if s.Kind != StepHangup {
			s.bad = fmt.Sprintf("a step is hangup or a mapping of one of %s to its argument, got %q", stepKinds, n.Value)
		}
		return nil
	case yaml.MappingNode:
	default:
		s.bad = "a step is hangup or a mapping of one of " + stepKinds + " to its argument"
		return nil
	}
	var pairs []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "by" {
			if err := n.Content[i+1].Decode(&s.By); err != nil {
				return err
			}
			s.By = strings.ToLower(s.By)
			continue
		}
		pairs = append(pairs, n.Content[i], n.Content[i+1])
	}
	if len(pairs) != 2 {
		s.bad = fmt.Sprintf("a step has exactly one kind (%s) and optionally by, got %d keys", stepKinds, len(n.Content)/2)
		return nil
	}
	k, v := pairs[0], pairs[1]
	s.Kind = strings.ToLower(k.Value)
	switch s.Kind {
	case StepDTMF:
		return v.Decode(&s.Digits)
	case StepWait, StepHold:
		return v.Decode(&s.Duration)
	case StepConference:
		return v.Decode(&s.To)
	case StepTransfer:
		return s.decodeTransfer(v)
	case StepHangup:
		s.badField, s.bad = StepHangup, "takes no argument: write the bare word hangup"
		return nil
	}
	s.badField, s.bad = k.Value, "unknown step kind (want "+stepKinds+")"
	return nil
}

// decodeTransfer reads a transfer's mapping strictly (node.Decode knows
// no KnownFields): a key other than to and kind is an unknown field.
func (s *Step) decodeTransfer(v *yaml.Node) error {
	if v.Kind != yaml.MappingNode {
		s.badField, s.bad = StepTransfer, "must be a mapping {to: NUMBER, kind: blind}"
		return nil
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		switch key := v.Content[i].Value; key {
		case "to", "kind":
		default:
			return &yaml.TypeError{Errors: []string{
				fmt.Sprintf("line %d: field %s not found in type scenario.transferArgs", v.Content[i].Line, key)}}
		}
	}
	var a transferArgs
	if err := v.Decode(&a); err != nil {
		return err
	}
	s.To, s.TransferKind = a.To, strings.ToLower(a.Kind)
	if s.TransferKind == "" {
		s.TransferKind = TransferBlind
	}
	return nil
}

// String renders the step as the report names it ("hold 5s", "dtmf 1
// by callee").
func (s Step) String() string {
	if s.By == ByCallee {
		c := s
		c.By = ""
		return c.String() + " by callee"
	}
	switch s.Kind {
	case StepDTMF:
		return "dtmf " + s.Digits
	case StepWait, StepHold:
		return s.Kind + " " + s.Duration.String()
	case StepTransfer:
		to := s.To
		if to == "" {
			to = "(drawn)"
		}
		return "transfer " + s.TransferKind + " " + to
	case StepConference:
		return "conference " + s.To
	}
	return s.Kind
}

// Length is how long the step keeps the call at least (its wait or hold).
func (s Step) Length() time.Duration {
	if s.Kind == StepWait || s.Kind == StepHold {
		return s.Duration
	}
	return 0
}

// journeyLength is the sum of the journey's waits and holds.
func (c Calls) journeyLength() time.Duration {
	var d time.Duration
	for _, s := range c.Journey {
		d += s.Length()
	}
	return d
}

// JourneyFraction is the fraction of calls that run the journey: 0
// without one, JourneyShare (default 1) otherwise.
func (c Calls) JourneyFraction() float64 {
	if len(c.Journey) == 0 {
		return 0
	}
	if c.JourneyShare == nil {
		return 1
	}
	return *c.JourneyShare
}

// validateJourney checks calls.journey and calls.journey_share.
func (s *Scenario) validateJourney(add func(field, format string, args ...any)) {
	c := s.Calls
	if sh := c.JourneyShare; sh != nil {
		switch {
		case len(c.Journey) == 0:
			add("calls.journey_share", "only with calls.journey")
		case math.IsNaN(*sh) || *sh < 0 || *sh > 1:
			add("calls.journey_share", "must be a fraction 0..1 of the calls, got %v", *sh)
		}
	}
	if len(c.Journey) > MaxJourneySteps {
		add("calls.journey", "must have at most %d steps, got %d", MaxJourneySteps, len(c.Journey))
	}
	for i, st := range c.Journey {
		field := fmt.Sprintf("calls.journey[%d]", i)
		if st.bad != "" {
			if st.badField != "" {
				field += "." + st.badField
			}
			add(field, "%s", st.bad)
			continue
		}
		switch st.By {
		case "", ByCaller:
		case ByCallee:
			if c.Pattern == PatternRemote {
				add(field+".by", "callee needs a callee of the population (calls.pattern is remote)")
			}
		default:
			add(field+".by", "must be caller or callee, got %q", st.By)
		}
		field += "." + st.Kind
		last := i == len(c.Journey)-1
		switch st.Kind {
		case StepDTMF:
			if st.Digits == "" || len(st.Digits) > maxDigits || strings.Trim(strings.ToUpper(st.Digits), "0123456789*#ABCD") != "" {
				add(field, "must be 1..%d keys of 0-9 * # A-D, got %q", maxDigits, st.Digits)
			}
		case StepWait, StepHold:
			if st.Duration <= 0 || st.Duration > maxStepDuration {
				add(field, "must be a duration in (0, %s], got %s", maxStepDuration, st.Duration)
			}
		case StepTransfer:
			if st.TransferKind != TransferBlind && st.TransferKind != TransferAttended {
				add(field+".kind", "must be blind or attended, got %q", st.TransferKind)
			}
			if st.To != "" {
				if err := checkNumber(st.To); err != "" {
					add(field+".to", "%s", err)
				}
			} else if s.Behaviours.Answer == 0 || s.Population.Count < 3 {
				add(field+".to", "left out, it is drawn from the population's answering phones: needs behaviours.answer > 0 and 3 phones")
			}
			if !last {
				add(field, "must be the journey's last step (the transfer ends the caller's call)")
			}
		case StepConference:
			if err := checkNumber(st.To); err != "" {
				add(field, "%s", err)
			}
		case StepHangup:
			if !last {
				add(field, "must be the journey's last step")
			}
		}
	}
}
