package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// config is what the command line sets.
type config struct {
	root     string        // repository root (the list's paths are relative to it)
	list     string        // the mutant list
	only     []string      // ids to run (all when empty)
	jobs     int           // mutants (or baselines) at a time, one scratch copy each
	baseline bool          // first check that every named run passes unmutated
	verbose  bool          // print every run's output
	keep     bool          // keep the scratch copies
	slack    time.Duration // beyond go test's -timeout before we kill it
	goCmd    string
	out      io.Writer
}

// status of a mutant
type status string

const (
	killed   status = "KILLED"
	survived status = "SURVIVED"
	stale    status = "STALE"
	failed   status = "ERROR"
)

type result struct {
	m       *Mutant
	status  status
	timeout bool     // killed by hanging until go test -timeout
	lines   []string // details, one per run
	elapsed time.Duration
}

// job is a baseline run (m == nil) or a mutant with its edits applied in
// memory.
type job struct {
	m    *Mutant
	mu   *mutated
	base TestRun
}

type runner struct {
	cfg     config
	mu      sync.Mutex // guards out
	results map[string]*result
}

// run executes the mutation check and returns the exit status: 0 when every
// selected mutant was KILLED, 1 otherwise (a survivor, a stale mutant, an
// error), 2 when the list or the flags are wrong.
func run(ctx context.Context, cfg config) int {
	r := &runner{cfg: cfg, results: map[string]*result{}}
	ms, err := Load(cfg.list)
	if err != nil {
		fmt.Fprintf(cfg.out, "mutate: %v\n", err)
		return 2
	}
	ms, err = selectMutants(ms, cfg.only)
	if err != nil {
		fmt.Fprintf(cfg.out, "mutate: %v\n", err)
		return 2
	}
	r.printf("mutate: %d mutants from %s\n", len(ms), cfg.list)
	var jobs []job
	for _, m := range ms {
		mu, err := mutate(cfg.root, m)
		if err != nil {
			r.record(&result{m: m, status: stale, lines: []string{err.Error() + " (update " + cfg.list + ")"}})
			continue
		}
		jobs = append(jobs, job{m: m, mu: mu})
	}
	if len(jobs) > 0 {
		if err := r.runJobs(ctx, jobs); err != nil {
			fmt.Fprintf(cfg.out, "mutate: %v\n", err)
			return 1
		}
	}
	return r.summary(ms)
}

// selectMutants keeps the mutants named in only (all when only is empty).
func selectMutants(ms []*Mutant, only []string) ([]*Mutant, error) {
	if len(only) == 0 {
		return ms, nil
	}
	byID := map[string]*Mutant{}
	for _, m := range ms {
		byID[m.ID] = m
	}
	var out []*Mutant
	for _, id := range only {
		m, ok := byID[id]
		if !ok {
			return nil, fmt.Errorf("select %s: %w", id, ErrUnknownID)
		}
		out = append(out, m)
	}
	return out, nil
}

// runJobs makes one scratch copy of the repository per worker, checks the
// baselines, then runs the mutants, cfg.jobs at a time.
func (r *runner) runJobs(ctx context.Context, jobs []job) error {
	files, err := repoFiles(ctx, r.cfg.root)
	if err != nil {
		return err
	}
	scratch, err := os.MkdirTemp("", "pbxlab-mutate-")
	if err != nil {
		return fmt.Errorf("make scratch dir: %w", err)
	}
	if r.cfg.keep {
		r.printf("mutate: scratch copies kept in %s\n", scratch)
	} else {
		defer os.RemoveAll(scratch)
	}
	workers := max(1, min(r.cfg.jobs, len(jobs)))
	dirs := make([]string, workers)
	for i := range dirs {
		// A worker keeps its copy for all its jobs (restoring each
		// mutant's files after it), so go's build cache, which keys
		// packages by directory, serves every unchanged package.
		dirs[i] = filepath.Join(scratch, fmt.Sprintf("w%d", i))
		if err := copyTree(r.cfg.root, dirs[i], files); err != nil {
			return err
		}
	}
	r.printf("mutate: running %d, %d at a time, in scratch copies of %d files under %s\n", len(jobs), workers, len(files), scratch)

	bad := map[string]string{} // baseline failures by run
	if r.cfg.baseline {
		var bases []job
		seen := map[string]bool{}
		for _, j := range jobs {
			for _, t := range j.m.runs() {
				if !seen[t.String()] {
					seen[t.String()] = true
					bases = append(bases, job{base: t, m: j.m})
				}
			}
		}
		var bmu sync.Mutex
		r.pool(ctx, dirs, bases, func(dir string, j job) {
			res := goTest(ctx, r.cfg.goCmd, dir, j.base, j.m.Timeout, r.cfg.slack)
			ok, detail := res.baseline()
			r.verbose(res)
			word := "ok"
			if !ok {
				word = "FAILS"
				bmu.Lock()
				bad[j.base.String()] = detail
				bmu.Unlock()
			}
			r.printf("baseline %-5s %s (%s): %s\n", word, j.base, res.elapsed.Round(100*time.Millisecond), detail)
		})
	}
	r.pool(ctx, dirs, jobs, func(dir string, j job) { r.record(r.mutant(ctx, dir, j, bad)) })
	return nil
}

// pool runs do for every job on len(dirs) workers, each with its own dir.
func (r *runner) pool(ctx context.Context, dirs []string, jobs []job, do func(dir string, j job)) {
	ch := make(chan job)
	var wg sync.WaitGroup
	for _, dir := range dirs {
		wg.Go(func() {
			for j := range ch {
				do(dir, j)
			}
		})
	}
	for _, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		ch <- j
	}
	close(ch)
	wg.Wait()
}

// mutant applies j's mutant to the copy at dir, runs its tests and
// restores the copy.
func (r *runner) mutant(ctx context.Context, dir string, j job, bad map[string]string) *result {
	res := &result{m: j.m, status: killed}
	start := time.Now()
	defer func() { res.elapsed = time.Since(start) }()
	for _, t := range j.m.runs() {
		if why, ok := bad[t.String()]; ok {
			res.status = failed
			res.lines = append(res.lines, fmt.Sprintf("%s: not run, the baseline fails: %s", t, firstLine(why)))
		}
	}
	if res.status == failed {
		return res
	}
	if err := j.mu.write(dir); err != nil {
		res.status, res.lines = failed, []string{err.Error()}
		return res
	}
	defer func() {
		if err := j.mu.restore(dir); err != nil {
			res.status = failed
			res.lines = append(res.lines, "restore the copy: "+err.Error())
		}
	}()
	for _, t := range j.m.runs() {
		tr := goTest(ctx, r.cfg.goCmd, dir, t, j.m.Timeout, r.cfg.slack)
		r.verbose(tr)
		v, detail := tr.against()
		res.lines = append(res.lines, fmt.Sprintf("%s (%s): %s", t, tr.elapsed.Round(100*time.Millisecond), detail))
		switch {
		case v == vError:
			res.status = failed
		case v == vSurvived && res.status == killed:
			res.status = survived
		case v == vKilled && tr.timedOut:
			res.timeout = true
		}
	}
	return res
}

func (r *runner) record(res *result) {
	r.mu.Lock()
	r.results[res.m.ID] = res
	r.mu.Unlock()
	word := string(res.status)
	if res.status == killed && res.timeout {
		word += " (timeout)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-18s %s", word, res.m.ID)
	if res.elapsed > 0 {
		fmt.Fprintf(&b, " (%s)", res.elapsed.Round(100*time.Millisecond))
	}
	fmt.Fprintf(&b, " — %s\n", res.m.Issue)
	for _, l := range res.lines {
		fmt.Fprintf(&b, "    %s\n", strings.ReplaceAll(l, "\n", "\n    "))
	}
	r.printf("%s", b.String())
}

func (r *runner) verbose(tr *testResult) {
	if r.cfg.verbose {
		r.printf("--- output of %s\n%s\n", tr.run, strings.Join(tr.output, "\n"))
	}
}

func (r *runner) printf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(r.cfg.out, format, args...)
}

// summary prints one line per mutant in list order and the totals, and
// returns the exit status.
func (r *runner) summary(ms []*Mutant) int {
	counts := map[status]int{}
	timeouts := 0
	var b strings.Builder
	b.WriteString("\nmutate: summary\n")
	for _, m := range ms {
		res, ok := r.results[m.ID]
		if !ok { // interrupted before it ran
			res = &result{m: m, status: failed, lines: []string{"not run"}}
		}
		counts[res.status]++
		word := string(res.status)
		if res.timeout {
			timeouts++
			word += " (timeout)"
		}
		fmt.Fprintf(&b, "  %-18s %s\n", word, m.ID)
	}
	fmt.Fprintf(&b, "mutate: %d mutants: %d killed (%d by timeout), %d survived, %d stale, %d errors\n",
		len(ms), counts[killed], timeouts, counts[survived], counts[stale], counts[failed])
	r.printf("%s", b.String())
	if counts[killed] != len(ms) {
		return 1
	}
	return 0
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
