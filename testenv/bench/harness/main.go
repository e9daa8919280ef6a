// Command harness runs the esmigrate benchmarks against the two test clusters that testenv/bench/run.sh started
// and filled (testenv/bench/gen), and writes the results as JSON and Markdown. It reports figures and never fails
// on a time: it fails only when something does not work (a run errs, or esmigrate or a floor leaves the target
// without every document). testenv/bench/README.md describes it and how to add a row.
//
// Sections:
//   - migrations: the rows of rows_*.go (rows.go: the registry), each run --runs times in alternating order,
//     every contender talking to the clusters directly; requests counted by the clusters (_nodes/stats/http),
//     CPU and memory by /usr/bin/time -v.
//   - copy: nfs.CopyRepository against cp -a and rsync -a on the same repositories, first run and no-op run.
//   - poll: the requests and bytes of progress polling while a snapshot and a restore of many shards run.
//   - ui: the index table benchmarks of package ui (go test -bench IndexTable -benchmem).
//   - wizard: start-up to the first frame and resident memory of the wizard, under tmux.
//
// With --readme it only rewrites the benchmark tables of README.md from testenv/bench/results/*.json.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

type harness struct {
	size, pattern    string
	srcURL, dstURL   string
	shares, runDir   string
	work, out, root  string
	esm, elasticdump string
	writer           string // testenv/writer, the live row's application
	only, sections   string
	commit           string
	runs             int
	dumpSlices       int
	dumpLimit        int
	reindexSize      int
	pollIndices      int
	pollShards       int
	pollRounds       int
	pollInterval     time.Duration
	src, dst         *admin
	data             *dataSet // the benchmark data set (gen)
	start            time.Time
}

// schema is the version of the results' layout; the README generator reads only this one.
const schema = 2

// results is results/latest*.json: one run of the harness at one commit.
type results struct {
	Schema     int          `json:"schema"`
	Date       string       `json:"date"`
	Commit     string       `json:"commit"` // the code measured: HEAD, "-dirty" when tracked files other than the results and README.md differed
	Size       string       `json:"size"`
	Seed       int64        `json:"seed"`
	Machine    machine      `json:"machine"`
	LoadBefore [3]float64   `json:"load_before"` // /proc/loadavg when the harness started and when it ended
	LoadAfter  [3]float64   `json:"load_after"`
	OtherCPU   float64      `json:"other_cpu_seconds"` // CPU time of other work on the machine while the rows ran
	RowSeconds float64      `json:"row_seconds"`       // wall time of the migration section
	Clusters   string       `json:"clusters"`
	Data       dataSet      `json:"data"`
	Runs       int          `json:"runs_per_row"`
	Rows       []rowResult  `json:"rows"`
	Copy       []copyResult `json:"copy"`
	Poll       []pollResult `json:"poll"`
	UI         uiResults    `json:"ui"`
	Wizard     wizardResult `json:"wizard"`
	Table      tableResults `json:"table"`
	Seconds    float64      `json:"seconds"`
	Sections   string       `json:"sections"`
	Partial    string       `json:"partial,omitempty"` // set when only some rows or sections ran: not for publishing
}

type dataSet struct {
	Pattern    string           `json:"pattern"`
	Indices    []string         `json:"indices"`
	Docs       int64            `json:"docs"`
	StoreBytes int64            `json:"primary_store_bytes"`
	PerIndex   map[string]int64 `json:"docs_per_index"`
	GenSeconds float64          `json:"generate_seconds,omitempty"`
}

const allSections = "migrations,copy,poll,ui,wizard"

// sizeSections are the sections a size runs: all, but at the large size only the migrations (the copy
// comparison alone would need four more copies of its 9 GB, and the other sections do not depend on the size).
// The index picker on 5,000 indices ("table", make bench-picker) is asked for by name: its source needs a
// larger heap than the migration rows' (5,000 shards trip a 1 GB heap's parent circuit breaker).
func sizeSections(size string) string {
	if size == "large" {
		return "migrations"
	}
	return allSections
}

func main() {
	h := &harness{start: time.Now()}
	var genFile, render string
	readme := false
	flag.StringVar(&h.size, "size", "default", "data set size label (default, small, ci, large)")
	flag.StringVar(&h.srcURL, "source", "http://127.0.0.1:19900", "source cluster")
	flag.StringVar(&h.dstURL, "target", "http://127.0.0.1:19910", "target cluster")
	flag.StringVar(&h.shares, "shares", "", "the shares directory of the test environment ($ESM_TESTENV_DIR/shares)")
	flag.StringVar(&h.runDir, "run-dir", "", "the test environment's directory (its pid files give the clusters' CPU time)")
	flag.StringVar(&h.work, "work", "", "scratch directory (scripts, logs, plans of every run)")
	flag.StringVar(&h.out, "out", "", "where latest[-size].md and .json go (empty: only the work directory)")
	flag.StringVar(&h.esm, "esmigrate", "", "the esmigrate binary")
	flag.StringVar(&h.elasticdump, "elasticdump", "", "the elasticdump command (empty: its rows are not measured)")
	flag.StringVar(&h.writer, "writer", "", "the testenv/writer binary (empty: the live row is not measured)")
	flag.StringVar(&h.pattern, "pattern", "bench-*", "the indices of the benchmark data set")
	flag.StringVar(&genFile, "gen", "", "the JSON line testenv/bench/gen printed")
	flag.StringVar(&h.only, "only", "", "comma-separated row keys to run (default all; the results then go to the work directory only)")
	flag.StringVar(&h.sections, "sections", "", "sections to run (default: the size's, all but at the large size: migrations only)")
	flag.IntVar(&h.runs, "runs", 3, "runs of every row (the published sizes need at least 3)")
	flag.IntVar(&h.dumpSlices, "slices", 2, "sliced scrolls (processes) per index of the tuned elasticdump row")
	flag.IntVar(&h.dumpLimit, "dump-limit", 5000, "--limit of the tuned elasticdump row")
	flag.IntVar(&h.reindexSize, "reindex-size", 5000, "source.size (documents per batch) of the tuned _reindex row")
	flag.IntVar(&h.pollIndices, "poll-indices", 100, "indices of the polling benchmark")
	flag.IntVar(&h.pollShards, "poll-shards", 5, "shards per index of the polling benchmark")
	flag.IntVar(&h.pollRounds, "poll-rounds", 9, "bulk+refresh rounds per index (segments, hence files per shard)")
	flag.DurationVar(&h.pollInterval, "poll-interval", time.Second, "poll interval (the plan's default)")
	flag.StringVar(&render, "render", "", "only write the Markdown of this results JSON file next to it (no cluster needed)")
	flag.BoolVar(&readme, "readme", false, "only rewrite README.md's benchmark tables from testenv/bench/results/*.json (no cluster needed)")
	flag.Parse()
	if readme {
		if err := writeReadme("."); err != nil {
			fail("--readme: %v", err)
		}
		return
	}
	if render != "" {
		var res results
		b, err := os.ReadFile(render)
		if err == nil {
			err = json.Unmarshal(b, &res)
		}
		if err == nil {
			// The figures are computed again from the runs the file holds: a file written by an older harness
			// gets today's arithmetic (its runs, commit and date stay as measured).
			summarize(res.Rows)
			err = writeJSON(render, res)
		}
		if err == nil {
			err = os.WriteFile(strings.TrimSuffix(render, ".json")+".md", []byte(renderMarkdown(res)), 0o644)
		}
		if err != nil {
			fail("--render: %v", err)
		}
		return
	}
	if h.shares == "" || h.work == "" || h.esm == "" {
		fail("--shares, --work and --esmigrate are required")
	}
	if h.runs < 1 {
		fail("--runs must be at least 1")
	}
	rows, err := rowsFor(h.size, h.only)
	if err != nil {
		fail("%v", err)
	}
	h.root, _ = os.Getwd()
	if err := os.MkdirAll(h.work, 0o755); err != nil {
		fail("%v", err)
	}
	h.src, h.dst = newAdmin(h.srcURL), newAdmin(h.dstURL)
	h.commit = commitOf(h.root)
	res := results{Schema: schema, Date: time.Now().UTC().Format(time.RFC3339), Commit: h.commit, Size: h.size, Runs: h.runs,
		Machine: describeMachine(h.shares), LoadBefore: loadAvg()}
	var partial []string
	if h.only != "" {
		partial = append(partial, "rows "+h.only)
	}
	if h.sections == "" {
		h.sections = sizeSections(h.size)
	} else if h.sections != sizeSections(h.size) {
		partial = append(partial, "sections "+h.sections)
	}
	res.Sections = h.sections
	res.Partial = strings.Join(partial, "; ")
	var info struct {
		Version struct{ Number string } `json:"version"`
	}
	if err := h.src.call("GET", "/", nil, &info); err != nil {
		fail("source cluster: %v", err)
	}
	res.Clusters = "Elasticsearch " + info.Version.Number + ", one node each, on the same machine; shares are local directories"
	if genFile != "" {
		var g struct {
			Seed    int64   `json:"seed"`
			Seconds float64 `json:"seconds"`
		}
		if b, err := os.ReadFile(genFile); err == nil {
			json.Unmarshal(b, &g)
			res.Seed, res.Data.GenSeconds = g.Seed, g.Seconds
		}
	}
	if h.data, err = h.dataSet(h.pattern); err != nil {
		fail("%v", err)
	}
	h.data.GenSeconds = res.Data.GenSeconds
	res.Data = *h.data
	h.logf("data: %d indices, %d docs, %.1f MB primary store; load average %.2f %.2f %.2f", len(h.data.Indices), h.data.Docs,
		float64(h.data.StoreBytes)/1e6, res.LoadBefore[0], res.LoadBefore[1], res.LoadBefore[2])

	want := func(s string) bool { return strings.Contains(","+h.sections+",", ","+s+",") }
	var failed []string
	if want("migrations") {
		t0, busy0, cpu0 := time.Now(), machineBusy(), h.clustersCPU()
		var f []string
		res.Rows, f = h.runRows(rows)
		failed = append(failed, f...)
		res.RowSeconds = time.Since(t0).Seconds()
		var own float64
		for _, r := range res.Rows {
			for _, x := range r.Runs {
				own += x.CPUSeconds
			}
		}
		res.OtherCPU = max(0, (machineBusy()-busy0).Seconds()-(h.clustersCPU()-cpu0).Seconds()-own)
	}
	if want("copy") || want("poll") {
		c, p, err := h.runParts(context.Background(), want("copy"), want("poll"))
		res.Copy, res.Poll = c, p
		if err != nil {
			failed = append(failed, "copy/poll: "+err.Error())
		}
	}
	if want("ui") {
		res.UI = h.runUIBench()
	}
	if want("wizard") {
		var err error
		if res.Wizard, err = h.runWizard(); err != nil {
			failed = append(failed, "wizard: "+err.Error())
		}
	}
	if want("table") {
		if res.Table = h.runTableBench(); res.Table.NotMeasuredBecause != "" {
			failed = append(failed, "table: "+res.Table.NotMeasuredBecause)
		}
	}
	res.Seconds = time.Since(h.start).Seconds()
	res.LoadAfter = loadAvg()
	md := renderMarkdown(res)
	fmt.Println(md)
	dirs := []string{h.work}
	if h.out != "" && res.Partial == "" {
		dirs = append(dirs, h.out)
	} else if h.out != "" {
		h.logf("only %s ran: the results stay in %s (the published results come from whole runs only)", res.Partial, h.work)
	}
	for _, dir := range dirs {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			fail("%v", err)
		}
		name := resultName(h.size)
		if dir == h.work {
			name = "latest"
		}
		if err := os.WriteFile(filepath.Join(dir, name+".md"), []byte(md), 0o644); err != nil {
			fail("%v", err)
		}
		if err := writeJSON(filepath.Join(dir, name+".json"), res); err != nil {
			fail("%v", err)
		}
	}
	if len(failed) > 0 {
		fail("%s", strings.Join(failed, "\n"))
	}
}

// resultName is latest for the default size, latest-<size> otherwise.
func resultName(size string) string {
	if size == "default" {
		return "latest"
	}
	return "latest-" + size
}

// commitOf names the code being measured: HEAD's short hash, with -dirty when a tracked file differs from it
// (other than what the benchmark itself writes: the results and README.md's tables).
func commitOf(root string) string {
	out, err := exec.Command("git", "-C", root, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	c := strings.TrimSpace(string(out))
	st, err := exec.Command("git", "-C", root, "status", "--porcelain", "--untracked-files=no", "--", ".",
		":!testenv/bench/results", ":!README.md").Output()
	if err == nil && len(strings.TrimSpace(string(st))) > 0 {
		c += "-dirty"
	}
	return c
}

// dataSet reads the indices of a pattern on the source: names, document counts, primary store.
func (h *harness) dataSet(pattern string) (*dataSet, error) {
	d := &dataSet{Pattern: pattern}
	var err error
	if d.Indices, err = h.src.matching(pattern); err != nil {
		return nil, err
	}
	sort.Strings(d.Indices)
	if len(d.Indices) == 0 {
		return nil, fmt.Errorf("no index matches %s on the source: fill it first (go run ./testenv/bench/gen)", pattern)
	}
	if d.PerIndex, err = h.src.counts(d.Indices); err != nil {
		return nil, err
	}
	for _, n := range d.PerIndex {
		d.Docs += n
	}
	if d.StoreBytes, err = h.src.primaryStore(d.Indices); err != nil {
		return nil, err
	}
	return d, nil
}

// reset brings both clusters and the shares back to the start: no index on the target (it is the benchmark's
// own), no repository on either side, empty shares, the target's recovery throttle at its default.
func (h *harness) reset() error {
	names, err := h.dst.matching("*")
	if err != nil {
		return err
	}
	var drop []string
	for _, n := range names {
		if !strings.HasPrefix(n, ".") {
			drop = append(drop, n)
		}
	}
	if err := h.dst.deleteIndices(drop); err != nil {
		return err
	}
	for _, a := range []*admin{h.src, h.dst} {
		if err := a.dropRepositories(); err != nil {
			return err
		}
	}
	for _, d := range []string{"source-repo", "target-repo", "shared-repo"} {
		if err := emptyDir(filepath.Join(h.shares, d)); err != nil {
			return err
		}
	}
	if err := h.dst.call("PUT", "/_cluster/settings", map[string]any{"transient": map[string]any{"indices.recovery.max_bytes_per_sec": nil}}, nil); err != nil {
		return err
	}
	return h.dst.call("GET", "/_cluster/health?wait_for_no_initializing_shards=true&timeout=60s", nil, nil)
}

func (h *harness) logf(f string, a ...any) {
	fmt.Fprintf(os.Stderr, "bench %5.0fs: %s\n", time.Since(h.start).Seconds(), fmt.Sprintf(f, a...))
}

func fail(f string, a ...any) {
	fmt.Fprintf(os.Stderr, "bench: error: "+f+"\n", a...)
	os.Exit(1)
}
