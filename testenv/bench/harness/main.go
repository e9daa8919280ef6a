// Command harness runs the esmigrate benchmarks against the two test clusters that testenv/bench/run.sh started
// and filled (testenv/bench/gen), and writes the tables as Markdown and JSON. It reports figures and never
// fails on a time: it fails only when something does not work (a contender errs, or the target does not hold
// every document afterwards).
//
// Sections:
//   - migrations: the same indices moved side by side by esmigrate (separate shares, shared storage), the bare
//     snapshot/cp/restore procedure, _reindex from remote and elasticdump; every contender talks to the
//     clusters through a counting reverse proxy, and is measured by /usr/bin/time -v.
//   - copy: nfs.CopyRepository against cp -a and rsync -a on the same repositories, first run and no-op run.
//   - poll: the requests and bytes of progress polling while a snapshot and a restore of many shards run.
//   - ui: the index table benchmarks of package ui (go test -bench IndexTable -benchmem).
//   - wizard: start-up to the first frame and resident memory of the wizard, under tmux.
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
	size, pattern      string
	srcURL, dstURL     string
	shares, runDir     string
	work, out, root    string
	esm, elasticdump   string
	only, sections     string
	tunedLimit         int
	pollIndices        int
	pollShards         int
	pollRounds         int
	pollInterval       time.Duration
	src, dst           *admin
	srcProxy, dstProxy *countingProxy
	indices            []string
	sourceCounts       map[string]int64
	docs, storeBytes   int64
	start              time.Time
}

// results is latest.json.
type results struct {
	Date       string            `json:"date"`
	Commit     string            `json:"commit"`
	Size       string            `json:"size"`
	Seed       int64             `json:"seed"`
	Machine    machine           `json:"machine"`
	Clusters   string            `json:"clusters"`
	Data       dataSet           `json:"data"`
	Migrations []migrationResult `json:"migrations"`
	Headline   map[string]string `json:"headline"`
	Copy       []copyResult      `json:"copy"`
	Poll       []pollResult      `json:"poll"`
	UI         uiResults         `json:"ui"`
	Wizard     wizardResult      `json:"wizard"`
	Seconds    float64           `json:"seconds"`
}

type dataSet struct {
	Indices    []string         `json:"indices"`
	Docs       int64            `json:"docs"`
	StoreBytes int64            `json:"primary_store_bytes"`
	PerIndex   map[string]int64 `json:"docs_per_index"`
	GenSeconds float64          `json:"generate_seconds,omitempty"`
}

func main() {
	h := &harness{start: time.Now()}
	var genFile string
	flag.StringVar(&h.size, "size", "default", "data set size label (default, small, ci)")
	flag.StringVar(&h.srcURL, "source", "http://127.0.0.1:19900", "source cluster")
	flag.StringVar(&h.dstURL, "target", "http://127.0.0.1:19910", "target cluster")
	flag.StringVar(&h.shares, "shares", "", "the shares directory of the test environment ($ESM_TESTENV_DIR/shares)")
	flag.StringVar(&h.runDir, "run-dir", "", "the test environment's directory (its pid files give the clusters' CPU time)")
	flag.StringVar(&h.work, "work", "", "scratch directory (scripts, logs, plans of every contender)")
	flag.StringVar(&h.out, "out", "", "where latest.md and latest.json go (empty: only the work directory)")
	flag.StringVar(&h.esm, "esmigrate", "", "the esmigrate binary")
	flag.StringVar(&h.elasticdump, "elasticdump", "", "the elasticdump command (empty: its rows are not measured)")
	flag.StringVar(&h.pattern, "pattern", "bench-*", "the indices to migrate")
	flag.StringVar(&genFile, "gen", "", "the JSON line testenv/bench/gen printed")
	flag.StringVar(&h.only, "only", "", "comma-separated contender keys to run (default all)")
	flag.StringVar(&h.sections, "sections", "migrations,copy,poll,ui,wizard", "sections to run")
	flag.IntVar(&h.tunedLimit, "elasticdump-limit", 5000, "elasticdump --limit of the tuned run")
	flag.IntVar(&h.pollIndices, "poll-indices", 100, "indices of the polling benchmark")
	flag.IntVar(&h.pollShards, "poll-shards", 5, "shards per index of the polling benchmark")
	flag.IntVar(&h.pollRounds, "poll-rounds", 9, "bulk+refresh rounds per index (segments, hence files per shard)")
	flag.DurationVar(&h.pollInterval, "poll-interval", time.Second, "poll interval (the plan's default)")
	update := false
	flag.BoolVar(&update, "update", false, "start from the results in --out and replace only the sections run now")
	render := ""
	flag.StringVar(&render, "render", "", "only write the Markdown of this results JSON file next to it (no cluster needed)")
	flag.Parse()
	if render != "" {
		var res results
		b, err := os.ReadFile(render)
		if err == nil {
			err = json.Unmarshal(b, &res)
		}
		if err == nil {
			res.Headline = headline(res.Migrations)
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
	h.root, _ = os.Getwd()
	if err := os.MkdirAll(h.work, 0o755); err != nil {
		fail("%v", err)
	}
	h.src, h.dst = newAdmin(h.srcURL), newAdmin(h.dstURL)
	res := results{Date: time.Now().UTC().Format(time.RFC3339), Size: h.size, Machine: describeMachine(h.shares),
		Headline: map[string]string{}}
	if update {
		// Keep the sections not run now from the last results (e.g. to measure the ui again alone).
		b, err := os.ReadFile(filepath.Join(h.out, resultName(h.out, h.out, h.size)+".json"))
		if err != nil {
			fail("--update: %v", err)
		}
		if err := json.Unmarshal(b, &res); err != nil {
			fail("--update: %v", err)
		}
		res.Date, res.Machine = time.Now().UTC().Format(time.RFC3339), describeMachine(h.shares)
	}
	prevSeconds := res.Seconds
	if out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		res.Commit = strings.TrimSpace(string(out))
	}
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
	var err error
	if h.indices, err = h.src.matching(h.pattern); err != nil {
		fail("%v", err)
	}
	sort.Strings(h.indices)
	if len(h.indices) == 0 {
		fail("no index matches %s on the source: fill it first (go run ./testenv/bench/gen)", h.pattern)
	}
	if h.sourceCounts, err = h.src.counts(h.indices); err != nil {
		fail("%v", err)
	}
	for _, n := range h.sourceCounts {
		h.docs += n
	}
	if h.storeBytes, err = h.src.primaryStore(h.indices); err != nil {
		fail("%v", err)
	}
	res.Data = dataSet{Indices: h.indices, Docs: h.docs, StoreBytes: h.storeBytes, PerIndex: h.sourceCounts, GenSeconds: res.Data.GenSeconds}
	h.logf("data: %d indices, %d docs, %.1f MB primary store", len(h.indices), h.docs, float64(h.storeBytes)/1e6)

	proxyLog, err := os.Create(filepath.Join(h.work, "proxy-errors.log"))
	if err != nil {
		fail("%v", err)
	}
	defer proxyLog.Close()
	if h.srcProxy, err = startProxy("source", h.srcURL, proxyLog); err != nil {
		fail("%v", err)
	}
	defer h.srcProxy.close()
	if h.dstProxy, err = startProxy("target", h.dstURL, proxyLog); err != nil {
		fail("%v", err)
	}
	defer h.dstProxy.close()

	want := func(s string) bool { return strings.Contains(","+h.sections+",", ","+s+",") }
	var failed []string
	if want("migrations") {
		var fresh []migrationResult
		fresh, err = h.runMigrations()
		res.Migrations = h.merge(res.Migrations, fresh)
		if err != nil {
			failed = append(failed, "migrations: "+err.Error())
		}
		res.Headline = headline(res.Migrations)
	}
	if want("copy") || want("poll") {
		c, p, err := h.runParts(context.Background(), want("copy"), want("poll"))
		if want("copy") {
			res.Copy = c
		}
		if want("poll") {
			res.Poll = p
		}
		if err != nil {
			failed = append(failed, "copy/poll: "+err.Error())
		}
	}
	if want("ui") {
		res.UI = h.runUIBench()
	}
	if want("wizard") {
		res.Wizard = h.runWizard()
	}
	res.Seconds = time.Since(h.start).Seconds()
	if update {
		res.Seconds += prevSeconds
	}
	md := renderMarkdown(res)
	fmt.Println(md)
	for _, dir := range []string{h.work, h.out} {
		if dir == "" {
			continue
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			fail("%v", err)
		}
		name := resultName(dir, h.out, h.size)
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

// resultName is latest in the work directory and for the default size, latest-<size> otherwise.
func resultName(dir, out, size string) string {
	if dir == out && size != "default" {
		return "latest-" + size
	}
	return "latest"
}

func (h *harness) logf(f string, a ...any) {
	fmt.Fprintf(os.Stderr, "bench %5.0fs: %s\n", time.Since(h.start).Seconds(), fmt.Sprintf(f, a...))
}

func fail(f string, a ...any) {
	fmt.Fprintf(os.Stderr, "bench: error: "+f+"\n", a...)
	os.Exit(1)
}
