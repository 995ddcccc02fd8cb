package conformance

import (
	"fmt"
	"strings"
)

// Names of the expectation tables a target profile can choose (Table).
const (
	// TableRFC is RFCAnswers: what RFC 4475 and RFC 5118 ask of an
	// endpoint and registrar with digest authentication. A target that
	// answers as the RFCs say passes it.
	TableRFC = "rfc"
	// TablePBXLab is Expectations: pbxlab's observed answers, the RFC's
	// except for its documented deviations (Expectation.Deviation).
	TablePBXLab = "pbxlab"
)

// TableNames lists the names Table accepts.
func TableNames() []string { return []string{TableRFC, TablePBXLab} }

// Table returns the expectation table called name (TableRFC,
// TablePBXLab), a new map on every call.
func Table(name string) (map[string]Expectation, error) {
	switch name {
	case TableRFC:
		return RFCAnswers(), nil
	case TablePBXLab:
		return Expectations(), nil
	}
	return nil, fmt.Errorf("expectation table %q: %w (want %s)", name, ErrUnknownTable, strings.Join(TableNames(), " or "))
}
