package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"pbxlab/internal/testproc"
)

// mutated is a mutant applied in memory: the new content of each file it
// changes, and the original to restore.
type mutated struct {
	files    []string // slash paths, in edit order, each once
	original map[string][]byte
	content  map[string][]byte
}

// mutate applies m's edits to the files under root (read only). It returns
// an error wrapping ErrStale when an edit's old text is not found exactly
// once in its file as the previous edits left it.
func mutate(root string, m *Mutant) (*mutated, error) {
	mu := &mutated{original: map[string][]byte{}, content: map[string][]byte{}}
	for i, e := range m.edits() {
		cur, ok := mu.content[e.File]
		if !ok {
			data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(e.File)))
			if err != nil {
				return nil, fmt.Errorf("apply mutant %s edit %d: %w: %w", m.ID, i+1, ErrStale, err)
			}
			mu.files = append(mu.files, e.File)
			mu.original[e.File], cur = data, data
		}
		switch n := bytes.Count(cur, []byte(e.Old)); n {
		case 1:
		case 0:
			return nil, fmt.Errorf("apply mutant %s edit %d: old text not found in %s: %w", m.ID, i+1, e.File, ErrStale)
		default:
			return nil, fmt.Errorf("apply mutant %s edit %d: old text found %d times in %s, want once: %w", m.ID, i+1, n, e.File, ErrStale)
		}
		mu.content[e.File] = bytes.Replace(cur, []byte(e.Old), []byte(e.New), 1)
	}
	return mu, nil
}

// write puts the mutated files into the copy at dir.
func (mu *mutated) write(dir string) error { return mu.put(dir, mu.content) }

// restore puts the original files back into the copy at dir.
func (mu *mutated) restore(dir string) error { return mu.put(dir, mu.original) }

func (mu *mutated) put(dir string, contents map[string][]byte) error {
	for _, f := range mu.files {
		p := filepath.Join(dir, filepath.FromSlash(f))
		st, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
		if err := os.WriteFile(p, contents[f], st.Mode().Perm()); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
	}
	return nil
}

// repoFiles lists the files of the repository at root that a copy needs:
// tracked and untracked-but-not-ignored (so uncommitted work is mutated
// as it is), without the ones deleted from the working tree.
func repoFiles(ctx context.Context, root string) ([]string, error) {
	cmd := exec.CommandContext(ctx, "git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := testproc.Run(ctx, cmd); err != nil {
		return nil, fmt.Errorf("list files of %s: %w: %s", root, err, strings.TrimSpace(stderr.String()))
	}
	var files []string
	seen := map[string]bool{}
	for _, f := range strings.Split(stdout.String(), "\x00") {
		if f == "" || seen[f] {
			continue
		}
		seen[f] = true
		if _, err := os.Lstat(filepath.Join(root, filepath.FromSlash(f))); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		files = append(files, f)
	}
	return files, nil
}

// copyTree copies files (slash paths relative to root) from root into dst,
// keeping modes and symbolic links. The working tree is only read.
func copyTree(root, dst string, files []string) error {
	for _, f := range files {
		src, to := filepath.Join(root, filepath.FromSlash(f)), filepath.Join(dst, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return fmt.Errorf("copy %s: %w", f, err)
		}
		st, err := os.Lstat(src)
		if err != nil {
			return fmt.Errorf("copy %s: %w", f, err)
		}
		switch {
		case st.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(src)
			if err != nil {
				return fmt.Errorf("copy %s: %w", f, err)
			}
			if err := os.Symlink(target, to); err != nil {
				return fmt.Errorf("copy %s: %w", f, err)
			}
		case st.Mode().IsRegular():
			data, err := os.ReadFile(src)
			if err != nil {
				return fmt.Errorf("copy %s: %w", f, err)
			}
			if err := os.WriteFile(to, data, st.Mode().Perm()); err != nil {
				return fmt.Errorf("copy %s: %w", f, err)
			}
		default: // a submodule or other special entry: nothing to copy
		}
	}
	return nil
}
