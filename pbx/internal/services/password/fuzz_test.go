package password

import (
	"strings"
	"testing"
)

// FuzzParse: any dialled number parses without panicking; a Call has a
// valid password and a number of digits.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"*47*1234*1002#", "*47*1234*1002%23", "*47#", "*47*12*1#", "%2A47%2A1234%2A1%23", "*47**#", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dialled string) {
		c := Parse(dialled)
		if c.Op != Call {
			return
		}
		if !ValidPIN(c.PIN) || c.Number == "" || strings.Trim(c.Number, "0123456789") != "" {
			t.Errorf("Parse(%q) = %+v", dialled, c)
		}
	})
}
