package replay_test

import (
	"fmt"
	"os"
	"testing"

	"pbxlab/internal/sipstack"
)

func TestMain(m *testing.M) {
	if err := sipstack.Setup(sipstack.Defaults()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}
