package conformance

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestEmbeddedCorpusMatchesPBXCopy: the embedded corpus (corpus/) and the
// PBX's copy (pbx/testdata/conformance) hold the same files, byte for
// byte, and load to the same messages.
func TestEmbeddedCorpusMatchesPBXCopy(t *testing.T) {
	embedded, err := Corpus()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := embedded, loadAll(t); !reflect.DeepEqual(got, want) {
		t.Errorf("Corpus() gives %d messages, the PBX's copy %d, and they differ", len(got), len(want))
	}
	pbxCopy := filepath.Join("..", "pbx", "testdata", "conformance")
	n := 0
	for _, root := range []string{"rfc4475", "rfc5118"} {
		seen := map[string]bool{}
		err := fs.WalkDir(corpusFS, "corpus/"+root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel("corpus", p)
			seen[rel] = true
			a, _ := fs.ReadFile(corpusFS, p)
			b, err := os.ReadFile(filepath.Join(pbxCopy, rel))
			if err != nil || !bytes.Equal(a, b) {
				t.Errorf("%s: embedded copy differs from %s (%v)", rel, pbxCopy, err)
			}
			n++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = filepath.WalkDir(filepath.Join(pbxCopy, root), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(pbxCopy, p)
			if !seen[rel] {
				t.Errorf("%s is in %s but not embedded (conformance/corpus)", rel, pbxCopy)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(embedded) != 62 || n < 62 {
		t.Errorf("%d messages from %d files, want the 50 + 12 torture messages", len(embedded), n)
	}
}
