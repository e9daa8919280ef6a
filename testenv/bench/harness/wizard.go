package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/esmigrate/esmigrate/i18n"
)

// wizardResult is the wizard's start-up and memory.
type wizardResult struct {
	FirstFrameMillis   float64 `json:"first_frame_ms"`
	RSSFirstFrameMB    float64 `json:"rss_first_frame_mb"`
	RSSConnectedMB     float64 `json:"rss_connected_mb"`
	PeakRSSMB          float64 `json:"peak_rss_mb"`
	RunSeconds         float64 `json:"run_seconds,omitempty"`
	DuringRun          string  `json:"during_run"`
	NotMeasuredBecause string  `json:"not_measured_because,omitempty"`
}

// runWizard starts the wizard in a private tmux server (120×40), waits for the first frame, reads its resident
// memory then and once it has connected to both clusters, then walks it through a migration of the benchmark
// indices, sampling its memory while the migration runs. Only a machine without tmux leaves it unmeasured (the
// --ci size allows that); anything else that keeps a figure from being measured (the wizard does not reach a
// screen the walk expects, the target lacks documents) is an error, with the screen the wizard showed: the
// harness then fails instead of writing "not measured" into the results.
func (h *harness) runWizard() (w wizardResult, err error) {
	if _, err := exec.LookPath("tmux"); err != nil {
		w.NotMeasuredBecause = "tmux is not installed"
		return w, nil
	}
	defer func() {
		switch {
		case err == nil:
		case w.FirstFrameMillis == 0:
			w.NotMeasuredBecause = "failed: " + firstLine(err.Error())
		case w.DuringRun == "":
			w.DuringRun = "failed: " + firstLine(err.Error())
		}
	}()
	socket := fmt.Sprintf("esm-bench-%d", os.Getpid())
	defer func() {
		exec.Command("tmux", "-L", socket, "kill-server").Run()
		dir := os.Getenv("TMUX_TMPDIR")
		if dir == "" {
			dir = "/tmp"
		}
		os.Remove(filepath.Join(dir, fmt.Sprintf("tmux-%d", os.Getuid()), socket)) // killed servers leave it behind
	}()
	dir := filepath.Join(h.work, "wizard")
	os.MkdirAll(dir, 0o755)
	if err := h.reset(); err != nil {
		return w, fmt.Errorf("reset: %w", err)
	}
	defer h.reset()
	cmdline := fmt.Sprintf("cd %s && exec env LANG=C.UTF-8 TERM=xterm-256color %s --source %s --target %s --state %s --report-dir %s"+
		" --repository wizard --source-location %s --target-location %s",
		dir, h.esm, h.srcURL, h.dstURL, filepath.Join(dir, "state.json"), dir,
		filepath.Join(h.shares, "source-repo", "wizard"), filepath.Join(h.shares, "target-repo", "wizard"))
	start := time.Now()
	if out, err := exec.Command("tmux", "-L", socket, "-f", "/dev/null", "new-session", "-d", "-s", "w", "-x", "120", "-y", "40", cmdline).CombinedOutput(); err != nil {
		return w, fmt.Errorf("tmux: %v: %s", err, out)
	}
	capture := func() string {
		out, _ := exec.Command("tmux", "-L", socket, "capture-pane", "-p", "-t", "w").Output()
		return string(out)
	}
	pidOut, _ := exec.Command("tmux", "-L", socket, "display-message", "-p", "-t", "w", "#{pane_pid}").Output()
	pid := strings.TrimSpace(string(pidOut))
	d := &wizardDriver{pid: pid, capture: capture, screenFile: filepath.Join(dir, "screen.txt"), send: func(args ...string) {
		exec.Command("tmux", append([]string{"-L", socket, "send-keys", "-t", "w"}, args...)...).Run()
	}}
	defer d.keys("q")
	deadline := time.Now().Add(30 * time.Second)
	for strings.TrimSpace(capture()) == "" {
		if time.Now().After(deadline) {
			return w, d.lost("the first frame", "no frame within 30s")
		}
		time.Sleep(2 * time.Millisecond)
	}
	w.FirstFrameMillis = float64(time.Since(start).Microseconds()) / 1000
	w.RSSFirstFrameMB = rssMB(pid, "VmRSS")
	// The connect screen probes both clusters once its form is gone through (it is prefilled from the flags).
	if err := d.connect(); err != nil {
		return w, err
	}
	time.Sleep(time.Second)
	w.RSSConnectedMB = rssMB(pid, "VmRSS")
	w.PeakRSSMB = rssMB(pid, "VmHWM")
	h.logf("wizard: first frame after %.0f ms, RSS %.1f MB, %.1f MB after connecting", w.FirstFrameMillis, w.RSSFirstFrameMB, w.RSSConnectedMB)
	if err := d.migrate(h.data.Pattern, len(h.data.Indices)); err != nil {
		return w, err
	}
	w.RunSeconds = d.runTime.Seconds()
	w.DuringRun = fmt.Sprintf("%.1f MB on average, %.1f MB at most, sampled every 100 ms over the %.0f s the migration of the benchmark indices ran (separate shares)",
		d.sum/float64(max(d.n, 1)), d.peak, w.RunSeconds)
	w.PeakRSSMB = rssMB(pid, "VmHWM") // before it quits
	os.WriteFile(d.screenFile, []byte(capture()), 0o644)
	h.logf("wizard: during a run: %s", w.DuringRun)
	got, err := h.dst.counts(h.data.Indices)
	if err != nil {
		return w, fmt.Errorf("the target's document counts after the wizard's migration: %w", err)
	}
	var short []string
	for _, ix := range h.data.Indices {
		if got[ix] != h.data.PerIndex[ix] {
			short = append(short, fmt.Sprintf("%s has %d documents on the target, %d on the source", ix, got[ix], h.data.PerIndex[ix]))
		}
	}
	if len(short) > 0 {
		return w, fmt.Errorf("the wizard's migration left the target without every document: %s", strings.Join(short, "; "))
	}
	return w, nil
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

// wizardDriver walks the wizard through a migration the way an operator does (the key sequence of
// ui/e2e_integration_test.go), sampling its resident memory while the migration runs.
type wizardDriver struct {
	pid        string
	capture    func() string
	screenFile string               // where the screen goes when the walk is lost
	send       func(args ...string) // a tmux send-keys to the wizard's pane (args after -t w)
	patience   time.Duration        // when set, the longest any wait lasts (tests)
	peak, sum  float64
	n          int
	runTime    time.Duration
}

func (d *wizardDriver) keys(keys ...string) {
	for _, k := range keys {
		d.send(k)
		time.Sleep(50 * time.Millisecond)
	}
}

func (d *wizardDriver) literal(text string) {
	d.send("-l", text)
	time.Sleep(50 * time.Millisecond)
}

// lost is the error of a walk that did not reach the screen it expected: which screen, why, and the screen the
// wizard showed instead (also written to screenFile).
func (d *wizardDriver) lost(screen, why string) error {
	shown := strings.TrimRight(d.capture(), "\n ")
	os.WriteFile(d.screenFile, []byte(shown+"\n"), 0o644)
	return fmt.Errorf("the wizard did not reach %s: %s; the walk's keys are those of the screens of ui/ (ui/e2e_integration_test.go walks them too): "+
		"update wizardDriver when a screen changes. The wizard showed (also in %s):\n%s", screen, why, d.screenFile, shown)
}

// waitFor waits until the screen matches re and returns the last submatch (or the match); while it waits it
// samples the memory when sample is set. screen names what the walk expects, for the error.
func (d *wizardDriver) waitFor(screen, re string, timeout time.Duration, sample bool) (string, error) {
	rx := regexp.MustCompile(re)
	if d.patience > 0 {
		timeout = min(timeout, d.patience)
	}
	deadline := time.Now().Add(timeout)
	for {
		if sample {
			if r := rssMB(d.pid, "VmRSS"); r > 0 {
				d.sum += r
				d.n++
				d.peak = max(d.peak, r)
			}
		}
		if m := rx.FindStringSubmatch(d.capture()); m != nil {
			return m[len(m)-1], nil
		}
		if time.Now().After(deadline) {
			return "", d.lost(screen, fmt.Sprintf("no /%s/ within %s", re, timeout))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// shown is a regular expression for what the wizard shows for a message key of the English catalogue: its text
// as it is, each verb (%d, %s, %[2]s…) as the value given for it, any text where that value is nil or missing.
// The walk's words come from the catalogue, so that a changed wording fails TestWizardWalkWordsAreInTheCatalogue
// rather than a benchmark run; a key the catalogue lacks panics.
func shown(key string, args ...any) string {
	f, ok := i18n.Format("en", key)
	if !ok {
		panic("harness: the English catalogue has no message " + key)
	}
	var b strings.Builder
	last, next := 0, 0
	for _, loc := range verbRx.FindAllStringSubmatchIndex(f, -1) {
		b.WriteString(regexp.QuoteMeta(f[last:loc[0]]))
		last = loc[1]
		if f[loc[1]-1] == '%' {
			b.WriteString("%")
			continue
		}
		i := next
		if loc[2] >= 0 {
			n, _ := strconv.Atoi(f[loc[2]:loc[3]])
			i = n - 1
		}
		next = i + 1
		if i < len(args) && args[i] != nil {
			b.WriteString(regexp.QuoteMeta(fmt.Sprint(args[i])))
		} else {
			b.WriteString(`.+?`)
		}
	}
	b.WriteString(regexp.QuoteMeta(f[last:]))
	return b.String()
}

var verbRx = regexp.MustCompile(`%(?:\[(\d+)\])?[-+# 0]*\d*(?:\.\d+)?[a-zA-Z%]`)

// checksEnd is what a checklist (pre-flight, repository) shows once its checks ended: all passed, warnings to
// accept, warnings accepted, or a failure.
func checksEnd() string {
	return "(" + strings.Join([]string{shown("pf.ready"), shown("pf.needack"), shown("pf.acked"), shown("pf.blocked"), shown("misc.error", "")}, "|") + ")"
}

// passChecks waits for a checklist's end, accepts its warnings and goes on; a failed check stops the walk.
func (d *wizardDriver) passChecks(screen string, timeout time.Duration) error {
	got, err := d.waitFor(screen+"'s checks", checksEnd(), timeout, false)
	if err != nil {
		return err
	}
	switch {
	case regexp.MustCompile(shown("pf.blocked")).MatchString(got), regexp.MustCompile(shown("misc.error", "")).MatchString(got):
		return d.lost(screen+" with its checks passed", "a check failed")
	case regexp.MustCompile(shown("pf.needack")).MatchString(got):
		d.keys("a")
	}
	d.keys("Enter")
	return nil
}

// connect goes through the connection form (prefilled from the flags) until both clusters answer.
func (d *wizardDriver) connect() error {
	if _, err := d.waitFor("the connection screen", shown("connect.url"), 30*time.Second, false); err != nil {
		return err
	}
	for i := 0; i < 8; i++ {
		d.keys("Enter")
	}
	_, err := d.waitFor("the connection screen with both clusters answering", shown("connect.hint.done"), 60*time.Second, false)
	return err
}

// migrate walks the screens after the connection in the wizard's order (ui/root.go: pre-flight, repository,
// indices, metadata, review, run, report) with the keys of ui/e2e_integration_test.go, choosing the indices of
// pattern and the defaults elsewhere.
func (d *wizardDriver) migrate(pattern string, indices int) error {
	wait := func(screen, re string, timeout time.Duration) func() error {
		return func() error { _, err := d.waitFor(screen, re, timeout, false); return err }
	}
	steps := []func() error{
		func() error { d.keys("Enter"); return nil }, // both clusters answer: continue
		wait("the pre-flight screen", shown("pf.title"), 30*time.Second),
		func() error { return d.passChecks("the pre-flight screen", 3*time.Minute) },
		// Repository: a new one at the flags' locations, copied to the target's share, no throttles (7 fields,
		// then the 3 throttles).
		wait("the repository screen", shown("repo.choose"), time.Minute),
		func() error {
			for i := 0; i < 10; i++ {
				d.keys("Enter")
			}
			return nil
		},
		wait("the repository screen's checks", shown("check.verify-repo-source", "wizard", nil), 2*time.Minute),
		func() error { return d.passChecks("the repository screen", 3*time.Minute) },
		// Indices: filter, select all shown, restore options.
		wait("the indices screen", shown("ix.filter"), time.Minute),
		func() error {
			d.literal(strings.TrimSuffix(pattern, "*"))
			return wait("the indices screen filtered", shown("ix.shown", indices, nil), 10*time.Second)()
		},
		func() error {
			d.keys("C-t")
			return wait("the indices screen with the indices selected", shown("ix.totals", indices, nil, nil, nil), 10*time.Second)()
		},
		func() error {
			d.keys("C-e")
			return wait("the restore options", shown("ix.opts.title"), 10*time.Second)()
		},
		func() error {
			// Rename pattern, replacement, batch size, batches in flight, replicas, put back: as they are;
			// aliases, global state: no.
			d.keys("Enter", "Enter", "Enter", "Enter", "Enter", "Enter", "n", "n")
			return wait("the indices screen with its batches", shown("ix.batches", nil, nil, nil), 10*time.Second)()
		},
		// Metadata: what the indices use, as the wizard chooses it by default.
		func() error {
			d.keys("Enter")
			return wait("the metadata screen", shown("md.title"), time.Minute)()
		},
		wait("the metadata screen's inventory", shown("md.count"), 30*time.Second),
		// Review: the plan, its checks, the confirmation. (Every screen's header names every step: a screen is
		// told by a text of its own, never by its step's name.)
		func() error {
			d.keys("Enter")
			return wait("the review screen", shown("rv.p.clusters", indices, nil, nil, nil), 30*time.Second)()
		},
		func() error {
			got, err := d.waitFor("the review screen's checks", "("+shown("rv.ready")+"|"+shown("rv.needack")+"|"+shown("rv.blocked")+")", 2*time.Minute, false)
			switch {
			case err != nil:
				return err
			case regexp.MustCompile(shown("rv.blocked")).MatchString(got):
				return d.lost("the review screen ready", "a check failed")
			case regexp.MustCompile(shown("rv.needack")).MatchString(got):
				d.keys("a")
			}
			return nil
		},
		func() error {
			d.keys("Enter")
			return wait("the confirmation", shown("rv.confirm"), 10*time.Second)()
		},
		// Run, then the report.
		func() error {
			start := time.Now()
			d.keys("y")
			_, err := d.waitFor("the report with every index verified", shown("rep.result", indices, 0, 0, 0, nil), 30*time.Minute, true)
			d.runTime = time.Since(start)
			return err
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

func rssMB(pid, field string) float64 {
	f, err := os.Open("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, field+":") {
			var kb float64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(l, field+":"), "kB")), &kb)
			return kb / 1024
		}
	}
	return 0
}
