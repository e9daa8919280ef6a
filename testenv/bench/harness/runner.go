package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// runResult is one run of a row.
type runResult struct {
	Round             int      `json:"round"`    // 1-based
	Position          int      `json:"position"` // 1-based place in its round (rounds alternate the order)
	Started           string   `json:"started"`
	WallSeconds       float64  `json:"wall_seconds"`
	CPUSeconds        float64  `json:"orchestrator_cpu_seconds"`
	PeakRSSMB         float64  `json:"orchestrator_peak_rss_mb"`
	MeasuredBy        string   `json:"measured_by"`
	SourceRequests    int64    `json:"source_requests"`
	TargetRequests    int64    `json:"target_requests"`
	SourceClients     int      `json:"source_connections"`
	TargetClients     int      `json:"target_connections"`
	ClusterCPUSeconds float64  `json:"clusters_cpu_seconds"`
	OtherCPUSeconds   float64  `json:"other_cpu_seconds"` // the machine's busy time not spent by the clusters or the contender
	Load1             float64  `json:"load1_before"`
	Missing           int64    `json:"docs_missing"`
	MissingWhere      []string `json:"missing_where,omitempty"`
	LossCause         []string `json:"loss_cause,omitempty"`
	Error             string   `json:"error,omitempty"`
	Dir               string   `json:"dir"`
	// Figures are a row's own measurements beyond the wall time (the live row's write freeze...), set by its
	// Verify.
	Figures map[string]float64 `json:"figures,omitempty"`
}

// stat is a median with its range over a row's runs.
type stat struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

func statOf(v []float64) stat {
	if len(v) == 0 {
		return stat{}
	}
	s := slices.Clone(v)
	sort.Float64s(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return stat{Median: m, Min: s[0], Max: s[len(s)-1]}
}

// rowResult is one row of a table: its runs and their medians. Every row carries the commit and the date of its
// own runs.
type rowResult struct {
	Key     string `json:"key"`
	Table   string `json:"table"`
	Name    string `json:"name"`
	Setting string `json:"setting"`
	Floor   string `json:"floor,omitempty"`
	Notes   string `json:"notes,omitempty"`
	Commit  string `json:"commit"`
	Date    string `json:"date"`

	Docs       int64 `json:"docs"`
	StoreBytes int64 `json:"primary_store_bytes"`

	Runs []runResult `json:"runs"`
	Wall stat        `json:"wall_seconds"`
	// Ratio: the median wall time over the floor's median; Min and Max: the lowest and highest ratio of a run
	// to the floor's run of the same round.
	Ratio          stat    `json:"ratio_to_floor"`
	DocsPerSecond  float64 `json:"docs_per_second"`
	MBPerSecond    float64 `json:"mb_per_second"`
	CPU            stat    `json:"orchestrator_cpu_seconds"`
	PeakRSSMB      stat    `json:"orchestrator_peak_rss_mb"`
	SourceRequests stat    `json:"source_requests"`
	TargetRequests stat    `json:"target_requests"`
	ClusterCPU     stat    `json:"clusters_cpu_seconds"`
	OtherCPU       stat    `json:"other_cpu_seconds"`
	// Loss: runs that left documents out although the tool reported success, and what its logs said.
	LossRuns   int      `json:"runs_with_loss"`
	MaxMissing int64    `json:"max_docs_missing"`
	LossCause  []string `json:"loss_cause,omitempty"`
	Errors     int      `json:"runs_failed"`

	NotMeasuredBecause string `json:"not_measured_because,omitempty"`
	// Figures: the medians and ranges of the runs' own figures (runResult.Figures).
	Figures map[string]stat `json:"figures,omitempty"`
}

// runRows runs every row h.runs times (fewer where a row caps its runs at this size), in alternating order:
// forward in odd rounds, backward in even ones, so that no row always runs first, or after the same neighbour.
func (h *harness) runRows(rows []*Row) ([]rowResult, []string) {
	var failed []string
	out := make([]rowResult, len(rows))
	data := map[string]*dataSet{}
	var live []int
	for i, r := range rows {
		out[i] = rowResult{Key: r.Key, Table: r.Table, Name: h.expand(r.Name), Setting: r.Setting, Floor: r.Floor, Notes: h.expand(r.Notes)}
		if r.Needs != nil {
			if why := r.Needs(h); why != "" {
				out[i].NotMeasuredBecause = why
				continue
			}
		}
		d := h.data
		if r.Data != nil {
			var err error
			if d, err = r.Data(h); err != nil {
				out[i].NotMeasuredBecause = "its data could not be made: " + err.Error()
				failed = append(failed, r.Key+": data: "+err.Error())
				continue
			}
		}
		data[r.Key] = d
		out[i].Docs, out[i].StoreBytes = d.Docs, d.StoreBytes
		live = append(live, i)
	}
	for round := 0; round < h.runs; round++ {
		order := slices.Clone(live)
		if round%2 == 1 {
			slices.Reverse(order)
		}
		pos := 0
		for _, i := range order {
			r := rows[i]
			if round >= r.runsAt(h.size, h.runs) {
				continue
			}
			pos++
			h.logf("round %d/%d, %d. %s", round+1, h.runs, pos, r.Key)
			res := runResult{Round: round + 1, Position: pos}
			if err := h.runOne(r, data[r.Key], &res); err != nil {
				res.Error = err.Error()
				failed = append(failed, fmt.Sprintf("%s, round %d: %v", r.Key, round+1, err))
				h.logf("  error: %v", err)
			} else {
				h.logf("  %.1fs, CPU %.2fs, peak %.0f MB, requests %d source / %d target, clusters CPU %.0fs, other CPU %.0fs%s",
					res.WallSeconds, res.CPUSeconds, res.PeakRSSMB, res.SourceRequests, res.TargetRequests, res.ClusterCPUSeconds, res.OtherCPUSeconds,
					map[bool]string{true: fmt.Sprintf(", %d documents missing", res.Missing)}[res.Missing > 0])
			}
			out[i].Runs = append(out[i].Runs, res)
			out[i].Commit, out[i].Date = h.commit, time.Now().UTC().Format(time.RFC3339)
		}
	}
	if err := h.reset(); err != nil {
		failed = append(failed, "reset: "+err.Error())
	}
	summarize(out)
	return out, failed
}

// summarize computes every row's medians and its ratios to its floor.
func summarize(rows []rowResult) {
	by := map[string]*rowResult{}
	for i := range rows {
		by[rows[i].Key] = &rows[i]
	}
	for i := range rows {
		r := &rows[i]
		var wall, cpu, rss, sreq, treq, ccpu, ocpu []float64
		r.LossRuns, r.MaxMissing, r.LossCause, r.Errors = 0, 0, nil, 0
		for _, x := range r.Runs {
			if x.Error != "" {
				r.Errors++
				continue
			}
			wall = append(wall, x.WallSeconds)
			cpu = append(cpu, x.CPUSeconds)
			rss = append(rss, x.PeakRSSMB)
			sreq = append(sreq, float64(x.SourceRequests))
			treq = append(treq, float64(x.TargetRequests))
			ccpu = append(ccpu, x.ClusterCPUSeconds)
			ocpu = append(ocpu, x.OtherCPUSeconds)
			if x.Missing > 0 {
				r.LossRuns++
				r.MaxMissing = max(r.MaxMissing, x.Missing)
				for _, c := range x.LossCause {
					if !slices.Contains(r.LossCause, c) {
						r.LossCause = append(r.LossCause, c)
					}
				}
			}
		}
		r.Wall, r.CPU, r.PeakRSSMB = statOf(wall), statOf(cpu), statOf(rss)
		figs := map[string][]float64{}
		for _, x := range r.Runs {
			if x.Error == "" {
				for k, v := range x.Figures {
					figs[k] = append(figs[k], v)
				}
			}
		}
		r.Figures = nil
		for k, v := range figs {
			if r.Figures == nil {
				r.Figures = map[string]stat{}
			}
			r.Figures[k] = statOf(v)
		}
		r.SourceRequests, r.TargetRequests, r.ClusterCPU, r.OtherCPU = statOf(sreq), statOf(treq), statOf(ccpu), statOf(ocpu)
		if r.Wall.Median > 0 {
			r.DocsPerSecond = float64(r.Docs) / r.Wall.Median
			r.MBPerSecond = float64(r.StoreBytes) / 1e6 / r.Wall.Median
		}
	}
	for i := range rows {
		r := &rows[i]
		r.Ratio = stat{}
		f, ok := by[r.Floor]
		if !ok || f.Wall.Median <= 0 || r.Wall.Median <= 0 {
			continue
		}
		// The point figure is the median of the rounds' own ratios (each row over its floor's run of the same
		// round, so that both saw the same machine), and the range is theirs: a ratio of medians could sit at or
		// outside that range, as the review of the 1 GB tables found.
		r.Ratio.Median = r.Wall.Median / f.Wall.Median
		var per []float64
		for _, x := range r.Runs {
			for _, y := range f.Runs {
				if x.Round == y.Round && x.Error == "" && y.Error == "" && y.WallSeconds > 0 {
					per = append(per, x.WallSeconds/y.WallSeconds)
				}
			}
		}
		if s := statOf(per); len(per) > 0 {
			r.Ratio = s
		}
	}
}

// baseVars are every row's variables: SRC and DST are the clusters themselves (no proxy in the data path: request
// counts come from the clusters' own _nodes/stats/http), the shares, and the tools.
func (h *harness) baseVars() []string {
	return []string{"SRC=" + h.srcURL, "DST=" + h.dstURL, "SHARES=" + h.shares, "ESM=" + h.esm, "ELASTICDUMP=" + h.elasticdump}
}

// runOne resets the clusters and the shares, prepares the row, and runs its script once, measured.
func (h *harness) runOne(r *Row, d *dataSet, res *runResult) error {
	if err := h.reset(); err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	if err := h.checkDisk(d); err != nil {
		return err
	}
	dir := filepath.Join(h.work, r.Key, fmt.Sprintf("run-%d", res.Round))
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	res.Dir = dir
	run := &runEnv{Dir: dir, Data: d, row: r, res: res, Vars: append(h.baseVars(),
		"W="+dir, "INDICES="+strings.Join(d.Indices, " "), "PATTERN="+d.Pattern)}
	if r.Prepare != nil {
		if err := r.Prepare(h, run); err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
	}
	script := filepath.Join(dir, "run.sh")
	if err := os.WriteFile(script, []byte("#!/usr/bin/env bash\n# "+r.Name+"\nset -euo pipefail\n"+r.Script), 0o755); err != nil {
		return err
	}
	srcBefore, err := h.src.clients()
	if err != nil {
		return err
	}
	dstBefore, err := h.dst.clients()
	if err != nil {
		return err
	}
	res.Load1 = load1()
	res.Started = time.Now().UTC().Format(time.RFC3339)
	cpu0 := h.clustersCPU()
	busy0 := machineBusy()
	u, runErr := runMeasured([]string{"bash", script}, run.Vars, filepath.Join(dir, "output.log"))
	busy1 := machineBusy()
	cpu1 := h.clustersCPU()
	res.WallSeconds, res.CPUSeconds, res.PeakRSSMB, res.MeasuredBy = u.Wall.Seconds(), u.CPU.Seconds(), float64(u.PeakRSS)/1024, u.Source
	res.ClusterCPUSeconds = (cpu1 - cpu0).Seconds()
	res.OtherCPUSeconds = max(0, (busy1-busy0).Seconds()-res.ClusterCPUSeconds-res.CPUSeconds)
	srcAfter, err := h.src.clients()
	if err != nil {
		return err
	}
	dstAfter, err := h.dst.clients()
	if err != nil {
		return err
	}
	res.SourceRequests, res.SourceClients = srcAfter.since(srcBefore)
	res.TargetRequests, res.TargetClients = dstAfter.since(dstBefore)
	if runErr != nil {
		return runErr
	}
	verify := r.Verify
	if verify == nil {
		verify = countsVerify
	}
	if res.Missing, res.MissingWhere, err = verify(h, run); err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if res.Missing == 0 {
		return nil
	}
	if r.Ours {
		// Ours, or the floor ours is measured against: a wrong result is an error of the benchmark or of esmigrate.
		return fmt.Errorf("verify: %s (output: %s)", strings.Join(res.MissingWhere, "; "), filepath.Join(dir, "output.log"))
	}
	// Another tool's incomplete copy is a finding about that tool, reported in its row with what its logs say.
	res.LossCause = lossCause(dir)
	h.logf("  %d documents missing: %s; its logs: %s", res.Missing, strings.Join(res.MissingWhere, "; "), strings.Join(res.LossCause, " | "))
	return nil
}

// countsVerify compares every index's document count on the target with the source's.
func countsVerify(h *harness, run *runEnv) (int64, []string, error) {
	got, err := h.dst.counts(run.Data.Indices)
	if err != nil {
		return 0, nil, err
	}
	var missing int64
	var where []string
	for _, ix := range run.Data.Indices {
		if want := run.Data.PerIndex[ix]; got[ix] != want {
			missing += want - got[ix]
			where = append(where, fmt.Sprintf("%s has %d documents on the target, %d on the source", ix, got[ix], want))
		}
	}
	return missing, where, nil
}

var (
	errorLine = regexp.MustCompile(`(?i)(error|exception|fail|refused|reset|timed? ?out|status(code)?["=: ]*[45]\d\d|\b[45]\d\d\b.*(bad request|not found|too many))`)
	noise     = regexp.MustCompile(`\d+`)
)

// lossCause reads a contender's logs in its run directory and returns its distinct error lines (numbers folded
// when comparing, at most 8, each with the file it came from and how often it appeared), or says there was none.
func lossCause(dir string) []string {
	type line struct {
		text, file string
		n          int
	}
	var order []string
	seen := map[string]*line{}
	filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		// Only what the contender wrote: its logs (*.log) and the answers it kept (*.out); not the script or
		// the bodies the harness wrote for it.
		if err != nil || e.IsDir() || !(strings.HasSuffix(p, ".log") || strings.HasSuffix(p, ".out")) {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		for _, l := range strings.Split(string(b), "\n") {
			l = strings.TrimSpace(l)
			if !errorLine.MatchString(l) {
				continue
			}
			if len(l) > 300 {
				l = l[:300] + "…"
			}
			k := noise.ReplaceAllString(l, "#")
			if x, ok := seen[k]; ok {
				x.n++
				continue
			}
			seen[k] = &line{text: l, file: filepath.Base(p), n: 1}
			order = append(order, k)
		}
		return nil
	})
	if len(order) == 0 {
		return []string{"its logs (" + dir + ") name no error: it ended as if every document had been copied"}
	}
	var out []string
	for i, k := range order {
		if i == 8 {
			out = append(out, fmt.Sprintf("… %d more distinct lines", len(order)-8))
			break
		}
		x := seen[k]
		out = append(out, fmt.Sprintf("%s (%s, ×%d)", x.text, x.file, x.n))
	}
	return out
}

// checkDisk refuses to start a run that cannot fit: the source's copy is there already, a run writes at most a
// snapshot, its copy and the restored indices (three times the primary store), plus a margin.
func (h *harness) checkDisk(d *dataSet) error {
	free, err := freeBytes(h.shares)
	if err != nil {
		return nil // not knowing is no reason to stop
	}
	need := 3*d.StoreBytes + 1<<30
	if free < need {
		return fmt.Errorf("only %.1f GB free under %s, a run needs about %.1f GB (3 × %.1f GB of primary store + 1 GB): free some space or use a smaller size",
			float64(free)/1e9, h.shares, float64(need)/1e9, float64(d.StoreBytes)/1e9)
	}
	return nil
}
