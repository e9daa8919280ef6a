package ui

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/i18n"
	"github.com/esmigrate/esmigrate/steps"
)

// connectEnters completes the connection form with its prefilled values (4 fields per cluster).
const connectEnters = 8

func (h *harness) toPreflight() {
	h.t.Helper()
	for i := 0; i < connectEnters; i++ {
		h.keys("enter")
	}
	if !h.await(h.m.screens[scrConnect].(*connectScreen).ok) {
		h.t.Fatalf("connection not ok:\n%s", h.screen())
	}
	h.keys("enter")
	h.at(scrPreflight)
}

func (h *harness) toRepository() {
	h.t.Helper()
	h.toPreflight()
	h.keys("a", "enter")
	h.at(scrRepository)
}

func (h *harness) toIndices() {
	h.t.Helper()
	h.toRepository()
	for i := 0; i < 12 && h.m.screens[scrRepository].(*repositoryScreen).form != nil; i++ {
		h.keys("enter")
	}
	h.keys("a", "enter")
	h.at(scrIndices)
	// The list comes from the backend: keys typed before it arrives select nothing (a loaded machine).
	ix := h.m.screens[scrIndices].(*indicesScreen)
	if !h.await(func() bool { return !ix.loading && ix.t != nil }) {
		h.t.Fatalf("the indices screen never read the list:\n%s", h.screen())
	}
}

func (h *harness) toMetadata() {
	h.t.Helper()
	h.toIndices()
	h.typeText("logs")
	h.keys("ctrl+t")
	h.keys("enter")
	h.at(scrMetadata)
	// The inventory and the requests come from the backend: a loaded machine answers after run's moment.
	scr := h.m.screens[scrMetadata].(*metadataScreen)
	if !h.await(func() bool { return !scr.loading && (scr.inv == nil || scr.reqGot == scr.reqSeq) }) {
		h.t.Fatalf("the metadata screen never read the inventory:\n%s", h.screen())
	}
}

func (h *harness) toReview() {
	h.t.Helper()
	h.toMetadata()
	h.keys("enter")
	h.at(scrReview)
}

func TestConnectTestsBothClustersAndGoesOn(t *testing.T) {
	h := newHarness(t, "en", 80, 24, nil)
	h.must("URL of a node")
	h.must("http://10.0.0.1:9200")
	h.toPreflight()
	if h.s.Src.Info.ClusterName != "source-cluster" || h.s.Dst.Info.ClusterName != "target-cluster" {
		t.Fatalf("summaries not kept: %+v %+v", h.s.Src.Info, h.s.Dst.Info)
	}
	// Defaults from path.repo: a directory named after the repository inside the first entry, never the root.
	if got := h.s.Plan.Repository.SourceLocation; got != "/data/source-repo/esmigrate" {
		t.Fatalf("source location %q, want the repository's directory in the first path.repo entry", got)
	}
	if got := h.s.Plan.Repository.TargetLocation; got != "/data/target-repo/esmigrate" {
		t.Fatalf("target location %q", got)
	}
}

func TestConnectShowsErrorAndFix(t *testing.T) {
	be := &fakeBackend{probeErr: map[string]error{"target": &esclient.Error{Cluster: "target", Op: "connect", Type: esclient.TypeUnreachable,
		Reason: "connection refused", Fix: "check that Elasticsearch runs at the URL"}}}
	h := newHarness(t, "en", 80, 24, be)
	h.keys("ctrl+t")
	h.must("Target: cannot connect")
	h.must("Fix: check that Elasticsearch runs")
	h.must("Source: cluster \"source-cluster\"")
	// The form is still open; finishing it tests again and still refuses to go on.
	for i := 0; i < connectEnters; i++ {
		h.keys("enter")
	}
	h.keys("enter")
	h.at(scrConnect)
	h.must("Fix the connection")
	// e reopens the form.
	h.keys("e")
	h.must("URL of a node")
}

func TestConnectMasksPasswordAndAppliesAuth(t *testing.T) {
	h := newHarness(t, "en", 120, 40, nil)
	h.keys("enter")          // URL
	h.keys("right", "enter") // auth: user and password
	h.keys("enter", "enter") // CA, insecure
	h.typeText("elastic")
	h.keys("enter")
	h.typeText("s3cret!")
	if strings.Contains(h.screen(), "s3cret!") {
		t.Fatalf("the password shows:\n%s", h.screen())
	}
	for i := 0; i < 5; i++ {
		h.keys("enter")
	}
	h.must("Both clusters answer")
	if h.s.Plan.Source.Username != "elastic" || h.s.Creds.SourcePassword != "s3cret!" {
		t.Fatalf("auth not applied: user %q password %q", h.s.Plan.Source.Username, h.s.Creds.SourcePassword)
	}
	if strings.Contains(string(h.s.Plan.YAML()), "s3cret") {
		t.Fatal("the password went into the plan")
	}
}

func TestPreflightBlocksUntilWarningsAccepted(t *testing.T) {
	h := newHarness(t, "en", 80, 24, nil)
	h.toPreflight()
	h.must("Snapshot compatibility")
	h.must("Fix: give the uid/gid") // warnings open by themselves
	h.keys("enter")
	h.at(scrPreflight)
	h.must("press a to accept")
	h.keys("a", "enter")
	h.at(scrRepository)
	if !h.s.AcceptWarns {
		t.Fatal("accepting warnings is not remembered for the run")
	}
}

func TestPreflightFailureBlocks(t *testing.T) {
	be := &fakeBackend{checks: []steps.Check{{ID: "path-repo-source", Title: "path.repo on every source node", Status: steps.Fail,
		Evidence: "source-1: path.repo not set", Fix: "add path.repo"}}}
	h := newHarness(t, "en", 80, 24, be)
	h.toPreflight()
	h.keys("a", "enter")
	h.at(scrPreflight)
	h.must("A check failed")
	// The operator fixes it and re-runs.
	be.checks = []steps.Check{{ID: "path-repo-source", Title: "path.repo on every source node", Status: steps.OK, Evidence: "all"}}
	h.keys("r")
	h.keys("enter")
	h.at(scrRepository)
}

// The setup commands are made from the form's values, with the uid:gid the pre-flight found; editing them
// changes the commands and never the checks (they do not run again, and the plan the run checks is unchanged).
func TestPreflightSetupCommands(t *testing.T) {
	be := &fakeBackend{}
	h := newHarness(t, "en", 120, 40, be)
	h.toPreflight()
	runs, before := be.checked, h.s.Plan.NFS
	h.keys("tab")
	h.must("Give the NFS server")
	h.keys("e")
	h.must("NFS server (name or address)")
	h.must("the pre-flight found 994:991")
	h.must("994:991") // the field holds it, not 1000:1000
	h.typeText("10.0.0.9")
	for i := 0; i < 5; i++ {
		h.keys("enter")
	}
	h.must("On the NFS server (10.0.0.9)")
	if h.s.Setup.Server != "10.0.0.9" || len(h.s.Setup.Clients) != 2 || h.s.Setup.UID != 994 || h.s.Setup.GID != 991 {
		t.Fatalf("setup values: %+v", h.s.Setup)
	}
	if be.checked != runs || h.s.Plan.NFS.Server != before.Server || h.s.Plan.NFS.UID != before.UID {
		t.Fatalf("editing the commands re-ran the checks (%d runs, was %d) or changed the plan's NFS section: %+v", be.checked, runs, h.s.Plan.NFS)
	}
	scr := h.m.screens[scrPreflight].(*preflightScreen)
	if !strings.Contains(scr.script, "994") || strings.Contains(scr.script, "1000:1000") {
		t.Fatalf("script does not use the uid found:\n%s", scr.script)
	}
	_, cmd := h.m.Update(keyMsg("c"))
	if cmd == nil {
		t.Fatal("c gives no clipboard command")
	}
	h.must("Copied")
	h.keys("d")
	if !strings.Contains(scr.script, "exportfs") {
		t.Fatalf("script without exportfs:\n%s", scr.script)
	}
}

func TestRepositoryRegistersAndVerifies(t *testing.T) {
	h := newHarness(t, "en", 80, 24, nil)
	h.toRepository()
	h.must("nightly")
	h.must("2 snapshot(s)")
	h.keys("enter") // new repository
	h.keys("enter") // name esmigrate
	h.keys("enter") // location
	h.keys("enter") // copy
	h.keys("enter") // target location
	h.keys("enter", "enter")
	h.typeText("100mb")
	h.keys("enter", "enter", "enter")
	h.must("Every source node reaches repository esmigrate")
	if got := h.s.Plan.Repository.MaxSnapshotBytesPerSec; got != "100mb" {
		t.Fatalf("throttle %q", got)
	}
	if h.s.Plan.Repository.Shared {
		t.Fatal("copy chosen, plan says shared")
	}
	// The same warning was accepted on the pre-flight screen: it is not asked for again.
	h.must("Warnings accepted")
	h.keys("enter")
	h.at(scrIndices)
}

func TestRepositoryUseExisting(t *testing.T) {
	h := newHarness(t, "en", 80, 24, nil)
	h.toRepository()
	h.keys("down", "enter") // nightly
	h.keys("down", "enter") // shared
	h.keys("enter", "enter", "enter")
	r := h.s.Plan.Repository
	if r.Name != "nightly" || r.SourceLocation != "/data/source-repo/nightly" || !r.Shared || r.TargetLocation != r.SourceLocation {
		t.Fatalf("repository %+v", r)
	}
}

func TestIndicesFilterToggleSortAndOptions(t *testing.T) {
	h := newHarness(t, "en", 80, 24, nil)
	h.toIndices()
	h.must("7 of 8 shown")
	h.keys("ctrl+x")
	h.must("8 of 8 shown")
	h.keys("ctrl+x")
	h.typeText("logs")
	h.must("3 of 8 shown")
	h.keys("space")
	h.must("Selected: 1 index(es)")
	h.keys("ctrl+t")
	h.must("Selected: 3 index(es), 13.0mb, 38,000 docs")
	h.keys("ctrl+t")
	h.must("Selected: 0 index(es)")
	h.keys("esc")
	h.must("7 of 8 shown")
	h.keys("ctrl+g")
	h.typeText("logs-2026.11.0[12]")
	h.keys("enter")
	h.must("selected 2 index(es)")
	// Sort by size, largest first.
	h.keys("right", "right", "right", "right", "ctrl+r")
	scr := h.m.screens[scrIndices].(*indicesScreen)
	if first := scr.t.At(0).Name; first != "logs-2026.11.02" {
		t.Fatalf("largest first is %s", first)
	}
	// Restore options: batch size 5mb → more batches.
	h.keys("ctrl+e")
	h.must("Restore options")
	h.keys("enter", "enter")
	h.keys("ctrl+u")
	h.typeText("5mb")
	h.keys("enter")
	h.must("Batches under way at once")
	h.keys("ctrl+u")
	h.typeText("1") // one batch after the other
	h.keys("enter")
	h.typeText("") // replicas stay 0
	for i := 0; i < 4; i++ {
		h.keys("enter")
	}
	if h.s.Plan.BatchMaxSize != "5mb" || h.s.Plan.BatchesInFlight != 1 {
		t.Fatalf("batch size %q, batches in flight %d", h.s.Plan.BatchMaxSize, h.s.Plan.BatchesInFlight)
	}
	h.send(previewTickMsg{seq: scr.previewSeq})
	h.must("Batches under 5mb: 2")
	h.keys("enter")
	h.at(scrMetadata)
	if got := strings.Join(h.s.Plan.Indices, ","); got != "logs-2026.11.01,logs-2026.11.02" {
		t.Fatalf("plan indices %s", got)
	}
	if len(h.s.Batches) != 2 {
		t.Fatalf("%d batches", len(h.s.Batches))
	}
}

func TestIndicesNeedsASelection(t *testing.T) {
	h := newHarness(t, "en", 80, 24, nil)
	h.toIndices()
	h.keys("enter")
	h.at(scrIndices)
	h.must("Select at least one index")
	h.keys("esc")
	h.at(scrRepository)
}

func TestReviewConfirmsAndStarts(t *testing.T) {
	h := newHarness(t, "en", 120, 40, nil)
	h.toReview()
	h.must("Move 3 index(es)")
	h.must("No target index is in the way")
	h.must("curl -sS -X PUT 'http://10.0.0.1:9200/_snapshot/esmigrate'")
	h.keys("enter")
	h.must("Start the migration now?")
	h.keys("n")
	h.at(scrReview)
	h.keys("w")
	h.keys("enter", "y")
	// The fake run ends at once: the report follows.
	h.at(scrReport)
	h.must("3 verified")
}

func TestReviewWarningNeedsAck(t *testing.T) {
	h := newHarness(t, "en", 120, 40, &fakeBackend{selWarn: true})
	h.toReview()
	h.keys("enter")
	h.must("Warnings: read them")
	h.keys("a", "enter", "y")
	h.at(scrReport)
}

func TestRunShowsProgressAndStopExplains(t *testing.T) {
	be := &fakeBackend{block: true}
	h := newHarness(t, "en", 80, 24, be)
	h.toReview()
	h.keys("enter", "y")
	h.at(scrRun)
	h.must("Batch 1/2")
	h.must("snapshot")
	h.must("3.0mb/7.0mb")
	h.must("logs-2026.11.02")
	h.keys("q")
	h.must("Elasticsearch keeps going")
	h.must("esmigrate resume --state")
	h.keys("n")
	if strings.Contains(h.screen(), "keeps going") {
		t.Fatal("the dialog stays after n")
	}
	h.keys("q", "y")
	h.settle()
	var stop *steps.StoppedError
	if !errors.As(h.m.Err(), &stop) {
		t.Fatalf("the wizard ends with %v, want a StoppedError", h.m.Err())
	}
}

func TestRunPreflightWarningsCanBeAccepted(t *testing.T) {
	be := &fakeBackend{runErr: &steps.PreflightError{Warnings: true, Checks: []steps.Check{{ID: "x", Title: "Something odd", Status: steps.Warn, Evidence: "odd"}}}}
	h := newHarness(t, "en", 80, 24, be)
	h.toReview()
	h.s.AcceptWarns = false
	h.keys("enter", "y")
	h.must("Something odd")
	be.runErr = nil
	h.keys("a")
	h.at(scrReport)
	if !h.s.AcceptWarns || be.ran != 2 {
		t.Fatalf("accept %v, runs %d", h.s.AcceptWarns, be.ran)
	}
}

func TestReportCleanupNeedsTypedConfirmation(t *testing.T) {
	be := &fakeBackend{}
	h := newHarness(t, "en", 80, 24, be)
	h.toReview()
	h.keys("enter", "y")
	h.at(scrReport)
	h.must("logs-2026.11.02")
	h.mustWrapped("20,000 → 20,000")
	h.keys("x")
	h.must("nothing chosen")
	h.keys("1", "2", "x")
	h.must(`Type "esmigrate" to confirm`)
	h.typeText("nope")
	h.keys("enter")
	h.must(`that is not "esmigrate"`)
	if len(be.cleaned) != 0 {
		t.Fatal("cleaned up without confirmation")
	}
	h.keys("x")
	h.typeText("esmigrate")
	h.keys("enter")
	h.must(`Type "esmigrate" to confirm: delete the copied files`)
	h.typeText("esmigrate")
	h.keys("enter")
	h.must("Done: delete the migration's snapshots")
	if len(be.cleaned) != 1 || !be.cleaned[0].DeleteSnapshots || !be.cleaned[0].DeleteCopiedFiles || !be.allowDel[0] {
		t.Fatalf("cleanup %+v allow %v", be.cleaned, be.allowDel)
	}
	h.keys("q")
	if h.m.Err() != nil {
		t.Fatal(h.m.Err())
	}
}

func TestEscGoesBackWhereSafe(t *testing.T) {
	h := newHarness(t, "en", 80, 24, nil)
	h.toPreflight()
	h.keys("esc")
	h.at(scrConnect)
	h.keys("enter")
	h.at(scrPreflight)
}

func TestHelpAndQuit(t *testing.T) {
	h := newHarness(t, "en", 80, 24, nil)
	h.toPreflight()
	h.keys("?")
	h.must("re-run checks")
	h.must("redraw")
	h.keys("?")
	h.keys("ctrl+c")
	h.must("Quit the wizard?")
	h.keys("n")
	h.at(scrPreflight)
}

// Every screen fits the terminal exactly, at both sizes and in both languages, and re-lays out on resize.
func TestLayoutFitsAndResizes(t *testing.T) {
	for _, lang := range []string{"en", "zh"} {
		h := newHarness(t, lang, 120, 40, nil)
		check := func(w, hh int) {
			t.Helper()
			h.send(tea.WindowSizeMsg{Width: w, Height: hh})
			lines := strings.Split(h.m.Render(), "\n")
			if len(lines) != hh {
				t.Fatalf("%s %dx%d screen %d: %d lines\n%s", lang, w, hh, h.m.cur, len(lines), h.screen())
			}
			for i, l := range lines {
				if lw := ansi.StringWidth(l); lw > w {
					t.Fatalf("%s %dx%d screen %d line %d is %d wide: %q", lang, w, hh, h.m.cur, i, lw, ansi.Strip(l))
				}
			}
		}
		for _, step := range []func(){func() {}, h.toReview} {
			step()
			check(80, 24)
			check(120, 40)
			check(100, 30)
		}
		check(60, 20)
		if !strings.Contains(h.screen(), "80x24") {
			t.Fatalf("no too-small message:\n%s", h.screen())
		}
	}
}

func TestChineseScreensHaveNoMissingKeys(t *testing.T) {
	h := newHarness(t, "zh", 120, 40, nil)
	h.toReview()
	h.keys("enter", "y")
	if strings.Contains(h.screen(), "!") && regexp.MustCompile(`![a-z]+\.[a-z.]+`).MatchString(h.screen()) {
		t.Fatalf("missing catalogue key:\n%s", h.screen())
	}
	h.must("校验通过")
}

func TestDetectLangAndUTF8(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cases := []struct {
		flag string
		env  map[string]string
		lang string
		utf8 bool
	}{
		{"", map[string]string{"LANG": "zh_CN.UTF-8"}, "zh", true},
		{"", map[string]string{"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}, "en", true},
		{"zh", map[string]string{"LANG": "C"}, "zh", false},
		{"", map[string]string{"LANG": "zh_CN.GB18030"}, "zh", false},
		{"", map[string]string{}, "en", false},
	}
	for _, c := range cases {
		if got := DetectLang(c.flag, env(c.env)); got != c.lang {
			t.Errorf("DetectLang(%q, %v) = %s", c.flag, c.env, got)
		}
		if got := DetectUTF8(env(c.env)); got != c.utf8 {
			t.Errorf("DetectUTF8(%v) = %v", c.env, got)
		}
	}
}

func TestASCIIGlyphs(t *testing.T) {
	be := &fakeBackend{}
	c := NewCommon(nil, "en", false)
	s := &Session{Plan: steps.DefaultPlan()}
	s.Plan.Source.URL, s.Plan.Target.URL = "http://a:9200", "http://b:9200"
	m := NewModel(c, s, be)
	h := &harness{t: t, m: m, be: be, c: c, s: s}
	h.run(m.Init())
	h.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	h.toReview()
	for _, r := range h.screen() {
		if r > 127 {
			t.Fatalf("non-ASCII %q on an ASCII terminal:\n%s", r, h.screen())
		}
	}
}

// Every key the wizard's code asks for is in the catalogue: T("...") and the key map's b(..., "key") calls, in
// the screens, package common and the components (keys built at run time, like "step."+n, are covered by the
// screens' tests and the golden files).
func TestCatalogueHasEveryKeyUsed(t *testing.T) {
	re := regexp.MustCompile(`(?:\bT\(|\bb\("[^"]*", "[^"]*", "[^"]*", )"([a-z0-9.]+[a-z0-9])"`)
	// Keys handed on as strings (Status(c, "pf.blocked", ...)): a literal shaped like a key, with the first part
	// of one, is a key.
	prefixes := map[string]bool{}
	for _, k := range i18n.Keys("en") {
		prefixes[strings.Split(k, ".")[0]] = true
	}
	literal := regexp.MustCompile(`"([a-z]+)\.([a-z0-9.]*[a-z0-9])"`)
	n := 0
	for _, glob := range []string{"*.go", "common/*.go", "components/*/*.go", "serve/*.go"} {
		for f, b := range goSources(t, glob) {
			for _, m := range re.FindAllStringSubmatch(b, -1) {
				n++
				if !i18n.English.Has(m[1]) {
					t.Errorf("%s uses %q, which the catalogue lacks", f, m[1])
				}
			}
			for _, m := range literal.FindAllStringSubmatch(b, -1) {
				if k := m[1] + "." + m[2]; prefixes[m[1]] && !i18n.English.Has(k) {
					t.Errorf("%s names %q, which the catalogue lacks", f, k)
				}
			}
		}
	}
	if n < 100 {
		t.Fatalf("found %d keys used: the pattern no longer matches the code", n)
	}
}

// Selected indices the target cannot restore (7.17 indices, an OpenSearch target): the review offers the reindex
// path as a choice (x), which goes into the plan and runs the checks again.
func TestTheReviewOffersTheReindexPathForIndicesTheTargetCannotRestore(t *testing.T) {
	be := &fakeBackend{openSearchTarget: true}
	for _, ix := range sampleIndices() {
		ix.CreatedVersion = "7.17.29"
		be.indices = append(be.indices, ix)
	}
	h := newHarness(t, "en", 120, 40, be)
	h.toReview()
	h.settle()
	h.must("x  3 index(es) the target cannot restore: refused (the pre-flight fails)")
	h.must("1 batch(es), each: snapshot → transfer → restore → verify.")
	be.mu.Lock()
	before := be.selected
	be.mu.Unlock()
	h.keys("x")
	h.settle()
	h.must("x  3 index(es) the target cannot restore: by _reindex from remote")
	// The plan says how the run moves them: one batch by _reindex, by name, and no batch of snapshot and restore.
	h.mustWrapped("batch 1: 3 index(es), 13.0mb, by _reindex from remote (the target pulls them from the source; no snapshot): logs-2026.11.01, logs-2026.11.02, logs-2026.11.03")
	h.mustNot("each: snapshot", "no index goes by snapshot")
	be.mu.Lock()
	after := be.selected
	be.mu.Unlock()
	if !h.s.Plan.Restore.ReindexFromRemote || after != before+1 {
		t.Fatalf("the plan: %v; selection checks %d → %d", h.s.Plan.Restore.ReindexFromRemote, before, after)
	}
	if y := string(h.s.Plan.YAML()); !strings.Contains(y, "reindex_from_remote: true") {
		t.Errorf("the saved plan:\n%s", y)
	}
	h.keys("x")
	if h.s.Plan.Restore.ReindexFromRemote {
		t.Error("x again takes the reindex path back")
	}
}
