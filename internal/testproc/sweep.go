package testproc

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

const (
	ownerFile = "owner"
	pidSuffix = ".pid"
	sweepWait = 10 * time.Second
)

// Swept is what Sweep killed for one test binary that died.
type Swept struct {
	Owner    string   // the dead binary's token, "<pid>.<start time>"
	Pidfiles []string // its pidfiles' lines: "<pgid> <command line>"
	PIDs     []int    // the processes killed
}

func (s Swept) String() string {
	return fmt.Sprintf("test binary %s left %d processes %v of: %s",
		s.Owner, len(s.PIDs), s.PIDs, strings.Join(s.Pidfiles, "; "))
}

// Sweep kills what a test binary that is no longer running left under
// runDir (DefaultRunDir() unless WithRunDir was used): every process of
// its recorded groups, and any process it marked that left them. It
// removes that binary's directory and returns what it killed. Run it from
// TestMain, before the tests.
func Sweep(runDir string) ([]Swept, error) {
	ents, err := os.ReadDir(runDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sweep %s: %w", runDir, err)
	}
	var out []Swept
	var errs []error
	for _, e := range ents {
		if !e.IsDir() || e.Name() == strconv.Itoa(os.Getpid()) {
			continue
		}
		dir := filepath.Join(runDir, e.Name())
		tok, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue // being created, or not ours
		}
		token := strings.TrimSpace(string(tok))
		if ownerAlive(token) {
			continue
		}
		s, err := sweepOwner(dir, token)
		if err != nil {
			errs = append(errs, err)
		}
		if len(s.PIDs) > 0 {
			out = append(out, s)
		}
	}
	return out, errors.Join(errs...)
}

func sweepOwner(dir, token string) (Swept, error) {
	s := Swept{Owner: token}
	files, _ := filepath.Glob(filepath.Join(dir, "*"+pidSuffix))
	var pgids []int
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		line := strings.TrimSpace(string(b))
		first, _, _ := strings.Cut(line, " ")
		if g, err := strconv.Atoi(first); err == nil {
			pgids = append(pgids, g)
			s.Pidfiles = append(s.Pidfiles, line)
		}
	}
	pids, err := sweepKill(token, pgids)
	if err != nil {
		return s, fmt.Errorf("sweep %s: %w", dir, err)
	}
	s.PIDs = pids
	deadline := time.Now().Add(sweepWait)
	for {
		left := sweepLeft(token, pgids)
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return s, fmt.Errorf("sweep %s: processes %v: %w", dir, left, ErrSurvived)
		}
		time.Sleep(pollInterval)
	}
	if err := os.RemoveAll(dir); err != nil {
		return s, fmt.Errorf("sweep %s: %w", dir, err)
	}
	return s, nil
}

// Owner names this process for as long as it lives (its pid and start
// time): resources a test makes outside processes (containers, network
// namespaces) carry it so that a later run can tell whether their owner
// died (OwnerAlive) and remove them, as Sweep does for process groups.
func Owner() (string, error) { return ownerToken(os.Getpid()) }

// OwnerAlive reports whether the process named by an Owner token still runs.
func OwnerAlive(token string) bool { return ownerAlive(token) }
