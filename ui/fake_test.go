package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/i18n"
	"github.com/esmigrate/esmigrate/nfs"
	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/ui/common"
)

// fakeBackend answers like two small clusters, instantly and always the same, for model tests and golden files.
type fakeBackend struct {
	mu       sync.Mutex
	probeErr map[string]error
	checks   []steps.Check
	selWarn  bool
	indices  []esclient.Index
	runErr   error
	ran      int
	checked  int // cluster check runs
	selected int // selection check runs
	// openSearchTarget: the target answers as OpenSearch 2.19.1 (it cannot restore the sample's 7.17 indices).
	openSearchTarget bool
	cleaned          []steps.CleanupOptions
	allowDel         []bool
	// block, when set, makes Run wait for the context (a long run the operator stops).
	block bool
	// runEvents, when set, are what Run reports before it blocks or ends (else a first batch's snapshot).
	runEvents []steps.Event
	// What the last Run was given.
	runPlan   steps.Plan
	runCreds  steps.Credentials
	runAccept bool
	// A live migration: the cut-over the state records (nil: none), what catch-up and cut-over were given.
	cut       *steps.CutoverState
	liveBlock bool // CatchUp and Cutover wait for the context (a round, a freeze, that runs)
	catchUps  []steps.CatchUpOptions
	confirms  []string
	rollbacks int
	runOpts   RunOptions
	// metaErr, when set, is what InspectMetadata answers.
	metaErr error
	// metaSel is the selection the last InspectMetadata was given.
	metaSel steps.Selection
	// advice is what MeasureShares answers (nil: fakeAdvice); measured counts its calls; measureErr, when set,
	// is its error.
	advice     *steps.Advice
	measured   int
	measureErr error
	// plannedOpts are the confirmations the requests were last asked for with.
	plannedOpts RunOptions
	// planned, when set, answers PlannedRequests instead of the fake (the real engine's, in integration tests).
	planned Backend
}

// fakeAdvice is a probe of two fast shares seen from this host, read past the page cache, with the proposal the
// engine makes for one data node on each side.
func fakeAdvice() steps.Advice {
	return steps.Advice{SourceDir: "/data/source-repo", TargetDir: "/data/target-repo", SourceWrite: 420 << 20, TargetRead: 380 << 20,
		ProbeBytes: 32 << 20, CacheDropped: true, SnapshotPerNode: 420 << 20, RestorePerNode: 380 << 20, SourceNodes: 1, TargetNodes: 1}
}

func (f *fakeBackend) MeasureShares(_ context.Context, _ steps.Plan, _ steps.Credentials, _, _ steps.ClusterSummary) (steps.Advice, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.measured++
	if f.measureErr != nil {
		return steps.Advice{}, f.measureErr
	}
	if f.advice != nil {
		return *f.advice, nil
	}
	return fakeAdvice(), nil
}

var fixedTime = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func summary(role, url, uuid string) steps.ClusterSummary {
	repo := "/data/" + role + "-repo"
	return steps.ClusterSummary{Role: role, URL: url,
		Info:   esclient.Info{ClusterName: role + "-cluster", ClusterUUID: uuid, Distribution: "Elasticsearch", VersionText: "7.17.29"},
		Health: esclient.Health{Status: "green", Nodes: 1, DataNodes: 1},
		Nodes:  []esclient.Node{{ID: "n1", Name: role + "-1", IP: "10.0.0." + map[string]string{"source": "1", "target": "2"}[role], Roles: []string{"data", "master"}, PathRepo: []string{repo}}}}
}

func (f *fakeBackend) Probe(_ context.Context, p steps.Plan, role string, _ steps.Credentials) (steps.ClusterSummary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.probeErr[role]; err != nil {
		return steps.ClusterSummary{Role: role}, err
	}
	url := p.Source.URL
	if role == "target" {
		url = p.Target.URL
	}
	s := summary(role, url, role+"-uuid")
	if role == "target" && f.openSearchTarget {
		s.Info.Distribution, s.Info.VersionText, s.Info.Version = esclient.OpenSearch, "2.19.1", esclient.Version{Major: 2, Minor: 19, Patch: 1}
	}
	return s, nil
}

func (f *fakeBackend) ClusterChecks(_ context.Context, p steps.Plan, _ steps.Credentials, _, _ steps.ClusterSummary, register bool, on func(steps.Event)) ([]steps.Check, error) {
	f.mu.Lock()
	f.checked++
	f.mu.Unlock()
	checks := f.checks
	if checks == nil {
		// As the engine makes them (steps.NewCheck with the engine's keys), so that the screens show them as
		// they show the real ones.
		checks = []steps.Check{
			steps.NewCheck("compat-versions", steps.OK, i18n.M("check.compat-versions"),
				i18n.M("check.compat-versions.pair", "Elasticsearch 7.17.29", "Elasticsearch 7.17.29"), i18n.Msg{}),
			steps.NewCheck("path-repo-source", steps.OK, i18n.M("check.path-repo-source", p.Repository.SourceLocation),
				i18n.M("check.path-repo.all", 1), i18n.Msg{}),
			steps.NewCheck("share-source-repo.esuser", steps.Warn, i18n.M("check.share-source-", i18n.M("check.nfs.repo.esuser")),
				i18n.M("nfs.esuser.unknown"), i18n.M("nfs.esuser.unknown.fix")),
		}
		if register {
			checks = append(checks, steps.NewCheck("verify-repo-source", steps.OK,
				i18n.M("check.verify-repo-source", p.Repository.Name, p.Repository.SourceLocation), i18n.M("check.verify-repo.answered", 1), i18n.Msg{}))
		}
	}
	for i := range checks {
		c := checks[i]
		on(steps.Event{Kind: steps.KindCheck, Phase: steps.PhasePreflight, Check: &c})
	}
	return checks, nil
}

func (f *fakeBackend) ListIndices(context.Context, steps.Plan, steps.Credentials) ([]esclient.Index, error) {
	if f.indices != nil {
		return f.indices, nil
	}
	return sampleIndices(), nil
}

func sampleIndices() []esclient.Index {
	return []esclient.Index{
		{Name: "logs-2026.11.01", Health: "green", Status: "open", Docs: 12000, PrimaryBytes: 4 << 20, Primaries: 1, Aliases: []string{"logs"}},
		{Name: "logs-2026.11.02", Health: "yellow", Status: "open", Docs: 20000, PrimaryBytes: 7 << 20, Primaries: 1, Aliases: []string{"logs"}},
		{Name: "logs-2026.11.03", Health: "green", Status: "open", Docs: 6000, PrimaryBytes: 2 << 20, Primaries: 1, Aliases: []string{"logs"}},
		{Name: "articles", Health: "green", Status: "open", Docs: 3000, StoredDocs: 9046, PrimaryBytes: 1536 << 10, Primaries: 2, Aliases: []string{"content"}},
		{Name: "metrics-small", Health: "green", Status: "open", Docs: 250, PrimaryBytes: 96 << 10, Primaries: 1},
		{Name: "empty-index", Health: "green", Status: "open", PrimaryBytes: 227, Primaries: 1},
		{Name: "closed-index", Status: "close", Docs: -1, StoredDocs: 0, Primaries: 1},
		{Name: ".esm-internal", Health: "green", Status: "open", Docs: 3, PrimaryBytes: 5 << 10, Primaries: 1, Hidden: true, System: true},
	}
}

func (f *fakeBackend) Repositories(context.Context, steps.Plan, steps.Credentials) (steps.RepositoryView, steps.RepositoryView, error) {
	src := steps.RepositoryView{Repositories: []esclient.Repository{{Name: "nightly", Type: "fs", Settings: map[string]string{"location": "/data/source-repo/nightly"}}},
		Snapshots: map[string][]esclient.Snapshot{"nightly": {{Name: "snap-1"}, {Name: "snap-2"}}}}
	return src, steps.RepositoryView{Snapshots: map[string][]esclient.Snapshot{}}, nil
}

func (f *fakeBackend) SelectionChecks(_ context.Context, _ steps.Plan, _ steps.Credentials, _, _ steps.ClusterSummary, sel steps.Selection, on func(steps.Event)) ([]steps.Check, error) {
	f.mu.Lock()
	f.selected++
	f.mu.Unlock()
	var total int64
	for _, ix := range sel.Indices {
		total += ix.PrimaryBytes
	}
	checks := []steps.Check{
		steps.NewCheck("selection", steps.OK, i18n.M("check.selection"), i18n.M("check.selection.found", len(sel.Indices), steps.HumanBytes(total)), i18n.Msg{}),
		steps.NewCheck("conflicts", steps.OK, i18n.M("check.conflicts"), i18n.M("check.conflicts.none", len(sel.Indices)), i18n.Msg{})}
	if f.selWarn {
		checks = append(checks, steps.NewCheck("target-disk", steps.Warn, i18n.M("check.target-disk"),
			i18n.M("check.target-disk.found", "1.0gb", "2.0gb", "1.5gb", "90%", "3.0gb", 1), i18n.M("check.target-disk.replicas")))
	}
	for i := range checks {
		c := checks[i]
		on(steps.Event{Kind: steps.KindCheck, Check: &c})
	}
	return checks, nil
}

func (f *fakeBackend) PlannedRequests(ctx context.Context, p steps.Plan, c steps.Credentials, o RunOptions, src, dst steps.ClusterSummary, batches []steps.Batch) ([]steps.PlannedRequest, error) {
	f.mu.Lock()
	f.plannedOpts = o
	f.mu.Unlock()
	if f.planned != nil {
		return f.planned.PlannedRequests(ctx, p, c, o, src, dst, batches)
	}
	// The target's settings as the real engine plans them (which, and whether at all, is its rule: only with the
	// confirmation). Without the reindex path: the fake clusters have no definitions to read.
	noReindex := p
	noReindex.Restore.ReindexFromRemote = false
	real, err := engineBackend{}.PlannedRequests(ctx, noReindex, c, o, src, dst, batches)
	if err != nil {
		return nil, err
	}
	var settings []steps.PlannedRequest
	for _, r := range real {
		if strings.Contains(r.Curl, "/_cluster/settings") {
			settings = append(settings, r)
		}
	}
	out := []steps.PlannedRequest{{Phase: steps.PhaseRepository, What: i18n.M("plan.req.register.source"),
		Curl: "curl -sS -X PUT '" + p.Source.URL + "/_snapshot/" + p.Repository.Name + "' -H 'Content-Type: application/json' -d '{\"type\":\"fs\"}'"}}
	for _, b := range batches {
		out = append(out, steps.PlannedRequest{Phase: steps.PhaseSnapshot, Batch: b.Number, What: i18n.M("plan.req.snapshot", strings.Join(b.Names(), ", "), steps.MigrationIDPlaceholder),
			Curl: fmt.Sprintf("curl -sS -X PUT '%s/_snapshot/%s/esmigrate-%d'", p.Source.URL, p.Repository.Name, b.Number)})
	}
	if len(settings) > 0 {
		out = append(append(out[:1:1], settings[0]), out[1:]...)
		out = append(out, settings[1:]...)
	}
	return out, nil
}

// ElasticsearchUser: the pre-flight finds Elasticsearch running as 994:991 (not the 1000:1000 of a guess).
func (f *fakeBackend) ElasticsearchUser(context.Context, steps.Plan, []esclient.Node) (int, int, bool) {
	return 994, 991, true
}

func (f *fakeBackend) SetupCommands(p steps.Plan, distro string) (nfs.Setup, error) {
	return steps.SetupCommands(p, distro)
}

// fakeMetadata is the source's and the target's metadata of the fake clusters, read through the code that reads
// a cluster's answers: the logs indices are created by the composable template "logs" (composed of
// "logs-mappings", identical on the target), write through the pipeline "logs-parse" (which differs on the
// target) and name the ILM policy "logs-policy"; an unused legacy template, an unused stored script and a
// built-in template are there too.
func fakeMetadata() (src, dst esclient.MetaListing) {
	parse := func(k esclient.MetaKind, answer string) []esclient.MetaItem {
		items, err := esclient.ParseMetaListing(k, []byte(answer))
		if err != nil {
			panic(err)
		}
		return items
	}
	src.Items = append(src.Items, parse(esclient.MetaStoredScript, `{"metadata":{"stored_scripts":{"tag-hosts":{"lang":"painless","source":"ctx.tag = 1"}}}}`)...)
	src.Items = append(src.Items, parse(esclient.MetaPipeline, `{"logs-parse":{"description":"parse the logs","processors":[{"set":{"field":"parsed","value":true}}]}}`)...)
	src.Items = append(src.Items, parse(esclient.MetaILMPolicy, `{"logs-policy":{"version":1,"policy":{"phases":{"delete":{"min_age":"90d","actions":{"delete":{}}}}}}}`)...)
	src.Items = append(src.Items, parse(esclient.MetaComponentTemplate, `{"component_templates":[{"name":"logs-mappings","component_template":{"template":{"mappings":{"properties":{"msg":{"type":"text"}}}}}}]}`)...)
	src.Items = append(src.Items, parse(esclient.MetaIndexTemplate, `{"index_templates":[{"name":"logs","index_template":{"index_patterns":["logs-*"],"priority":10,"composed_of":["logs-mappings"],"template":{"settings":{"index":{"default_pipeline":"logs-parse","lifecycle":{"name":"logs-policy"}}}}}}]}`)...)
	src.Items = append(src.Items, parse(esclient.MetaLegacyTemplate, `{"old-articles":{"order":0,"index_patterns":["articles-old-*"]},".monitoring-es":{"order":0,"index_patterns":[".monitoring-es-7-*"]}}`)...)
	dst.Items = append(dst.Items, parse(esclient.MetaComponentTemplate, `{"component_templates":[{"name":"logs-mappings","component_template":{"template":{"mappings":{"properties":{"msg":{"type":"text"}}}}}}]}`)...)
	dst.Items = append(dst.Items, parse(esclient.MetaPipeline, `{"logs-parse":{"description":"the target's own","processors":[]}}`)...)
	return src, dst
}

func (f *fakeBackend) InspectMetadata(_ context.Context, p steps.Plan, _ steps.Credentials, src, dst steps.ClusterSummary, sel steps.Selection) (*steps.MetadataInventory, error) {
	f.mu.Lock()
	f.metaSel = sel
	err := f.metaErr
	f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	s, d := fakeMetadata()
	var uses []steps.IndexUse
	var managed []string
	for _, ix := range sel.Indices {
		set := map[string]string{}
		if strings.HasPrefix(ix.Name, "logs-") {
			set["index.default_pipeline"], set["index.lifecycle.name"] = "logs-parse", "logs-policy"
			managed = append(managed, ix.Name)
		}
		uses = append(uses, steps.IndexUse{Name: ix.Name, Settings: set})
	}
	inv := steps.BuildMetadataInventory(s, d, src.Product(), dst.Product(), uses, p.Metadata)
	inv.Managed = managed
	return inv, nil
}

// MetadataRequests is the real engine's: it only writes curl commands.
func (f *fakeBackend) MetadataRequests(p steps.Plan, c steps.Credentials, inv *steps.MetadataInventory, confirmed bool) ([]steps.PlannedRequest, error) {
	return engineBackend{}.MetadataRequests(p, c, inv, confirmed)
}

func (f *fakeBackend) Run(ctx context.Context, p steps.Plan, c steps.Credentials, o RunOptions, _ *steps.PauseGate, on func(steps.Event)) (*steps.Report, error) {
	f.mu.Lock()
	f.ran++
	f.runPlan, f.runCreds, f.runAccept, f.runOpts = p, c, o.AcceptWarnings, o
	f.mu.Unlock()
	if f.runErr != nil {
		return nil, f.runErr
	}
	batches := 2
	at := fixedTime
	ev := func(e steps.Event) { e.Time = at; e.Batches = batches; on(e) }
	events := f.runEvents
	if events == nil {
		events = []steps.Event{
			{Kind: steps.KindLog, Phase: steps.PhasePlan, Msg: i18n.M("plan.batch", 1, 1, "7.0mb", "[logs-2026.11.02]")}, // as the engine says it (run.go)
			{Kind: steps.KindStart, Phase: steps.PhaseSnapshot, Batch: 1},
			{Kind: steps.KindProgress, Phase: steps.PhaseSnapshot, Batch: 1, Done: steps.Counts{Bytes: 3 << 20}, Total: steps.Counts{Bytes: 7 << 20}, Rate: 1 << 20, ETA: 4 * time.Second,
				Estimate: &steps.Estimate{Done: 3, Total: 28, ETA: 38 * time.Second, Subject: 3.0 / 7}},
			{Kind: steps.KindProgress, Phase: steps.PhaseSnapshot, Batch: 1, Index: "logs-2026.11.02", Done: steps.Counts{Bytes: 3 << 20}, Total: steps.Counts{Bytes: 7 << 20},
				Estimate: &steps.Estimate{Done: 3, Total: 28, ETA: 38 * time.Second, Subject: 3.0 / 7}},
		}
	}
	for _, e := range events {
		ev(e)
	}
	if f.block {
		blockedByDesign.Add(1)
		defer blockedByDesign.Add(-1)
		<-ctx.Done()
		return nil, &steps.StoppedError{Phase: steps.PhaseSnapshot, Batch: 1, StatePath: p.StateFile}
	}
	for b := 1; b <= batches; b++ {
		for _, ph := range []steps.Phase{steps.PhaseSnapshot, steps.PhaseTransfer, steps.PhaseRestore, steps.PhaseVerify} {
			ev(steps.Event{Kind: steps.KindStart, Phase: ph, Batch: b})
			ev(steps.Event{Kind: steps.KindDone, Phase: ph, Batch: b})
		}
	}
	rep := &steps.Report{Batches: 2, Finished: true, Verified: 3, JSON: "esmigrate-report-20261125-100000.json", Markdown: "esmigrate-report-20261125-100000.md",
		Rows: []steps.ReportRow{
			{Batch: 1, Index: "logs-2026.11.02", Target: "logs-2026.11.02", SourceDocs: 20000, TargetDocs: 20000, PrimaryBytes: 7 << 20, Result: steps.ResultVerified, Times: map[steps.Phase]time.Duration{steps.PhaseSnapshot: time.Second, steps.PhaseRestore: 2 * time.Second}},
			{Batch: 2, Index: "logs-2026.11.01", Target: "logs-2026.11.01", SourceDocs: 12000, TargetDocs: 12000, PrimaryBytes: 4 << 20, Result: steps.ResultVerified, Times: map[steps.Phase]time.Duration{steps.PhaseSnapshot: time.Second}},
			{Batch: 2, Index: "logs-2026.11.03", Target: "logs-2026.11.03", SourceDocs: 6000, TargetDocs: 6000, PrimaryBytes: 2 << 20, Result: steps.ResultVerified, Times: map[steps.Phase]time.Duration{steps.PhaseSnapshot: time.Second}},
		}}
	return rep, nil
}

func (f *fakeBackend) Cleanup(_ context.Context, _ steps.Plan, _ steps.Credentials, o steps.CleanupOptions, allow bool, _ func(steps.Event)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cleaned = append(f.cleaned, o)
	f.allowDel = append(f.allowDel, allow)
	return nil
}

// harness drives a root model without a Program: it sends messages and runs the commands they return
// (commands that do not answer within a moment, the timers, are dropped).
type harness struct {
	pending []chan tea.Msg
	t       testing.TB
	m       *Model
	be      *fakeBackend
	c       *Common
	s       *Session
}

func newHarness(t testing.TB, lang string, w, h int, be *fakeBackend) *harness {
	return newHarnessWith(t, lang, w, h, be, nil)
}

// newHarnessWith lets prep change the session before the model is built (a state file read at start).
func newHarnessWith(t testing.TB, lang string, w, h int, be *fakeBackend, prep func(s *Session)) *harness {
	if be == nil {
		be = &fakeBackend{}
	}
	c := NewCommon(context.Background(), lang, true)
	c.Now = func() time.Time { return fixedTime }
	p := steps.DefaultPlan()
	p.Source.URL, p.Target.URL = "http://10.0.0.1:9200", "http://10.0.0.2:9200"
	s := &Session{Plan: p, PlanPath: t.TempDir() + "/plan.yaml", Acked: map[string]bool{}}
	if prep != nil {
		prep(s)
	}
	hs := &harness{t: t, be: be, c: c, s: s}
	hs.m = NewModel(c, s, be)
	hs.run(hs.m.Init())
	hs.send(tea.WindowSizeMsg{Width: w, Height: h})
	return hs
}

func (h *harness) send(msg tea.Msg) {
	_, cmd := h.m.Update(msg)
	h.run(cmd)
}

// run runs commands and the commands their messages return. A command that does not answer within a moment
// (a timer, a stream waiting for the engine) is kept pending; its message is taken when it comes (see settle).
func (h *harness) run(cmd tea.Cmd) {
	queue := []tea.Cmd{cmd}
	for n := 0; n < 1000; n++ {
		if len(queue) == 0 {
			// Take what pending commands delivered meanwhile.
			var still []chan tea.Msg
			for _, ch := range h.pending {
				select {
				case msg := <-ch:
					queue = append(queue, func() tea.Msg { return msg })
				default:
					still = append(still, ch)
				}
			}
			h.pending = still
			if len(queue) == 0 {
				return
			}
		}
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		ch := make(chan tea.Msg, 1)
		go func() { ch <- c() }()
		msg, ok := answer(ch)
		if !ok {
			h.pending = append(h.pending, ch)
			continue
		}
		if msg == nil {
			continue
		}
		v := reflect.ValueOf(msg)
		if v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeOf((tea.Cmd)(nil)) {
			for i := 0; i < v.Len(); i++ {
				queue = append(queue, v.Index(i).Interface().(tea.Cmd))
			}
			continue
		}
		switch msg.(type) {
		case common.SpinMsg, runTickMsg, previewTickMsg, freezeTickMsg:
			continue // timers: tests send them when they need them
		}
		if name := fmt.Sprintf("%T", msg); name == "tea.QuitMsg" || strings.Contains(name, "linkMsg") {
			continue // quitting, and the cursor's blinking (golden files must not depend on timing)
		}
		_, next := h.m.Update(msg)
		queue = append(queue, next)
	}
}

// blockedByDesign counts the fake backend's work that waits on purpose (a long run the operator stops).
var blockedByDesign atomic.Int64

// answer waits for a command's message. A command that has not answered after 40 ms is waiting for a timer or for
// work that waits on purpose, unless streams' work is still busy: then it may only be slow (a loaded machine that
// has not run the fake backend's work yet), and it is given until that work is done (at most 10 s), so that the
// screens do not depend on the machine's load.
func answer(ch chan tea.Msg) (tea.Msg, bool) {
	start := time.Now()
	poll := time.NewTicker(2 * time.Millisecond)
	defer poll.Stop()
	for {
		select {
		case msg := <-ch:
			return msg, true
		case <-poll.C:
			if d := time.Since(start); d >= 40*time.Millisecond && (common.Working() <= blockedByDesign.Load() || d > 10*time.Second) {
				return nil, false
			}
		}
	}
}

// await is for a test that expects something the wizard shows: when it does not show it yet and commands are
// still pending (run gives each 40 ms, which a loaded machine exceeds: the fake backend's answer then arrives
// after the check), their messages are taken as they come until it does, or until nothing is pending or a
// generous bound passes. A screen that is right at once costs nothing; no time is asserted.
func (h *harness) await(ok func() bool) bool {
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if len(h.pending) == 0 || time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
		h.run(nil)
	}
	return true
}

// settle waits a little for pending commands (a stream that ends after a cancel) and runs what they bring.
func (h *harness) settle() {
	time.Sleep(150 * time.Millisecond)
	h.run(nil)
}

func (h *harness) keys(ks ...string) {
	for _, k := range ks {
		h.send(keyMsg(k))
	}
}

func (h *harness) typeText(s string) {
	for _, r := range s {
		h.send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "left":
		return tea.KeyPressMsg{Code: tea.KeyLeft}
	case "right":
		return tea.KeyPressMsg{Code: tea.KeyRight}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	}
	if strings.HasPrefix(k, "ctrl+") {
		return tea.KeyPressMsg{Code: rune(k[5]), Mod: tea.ModCtrl}
	}
	r := []rune(k)
	return tea.KeyPressMsg{Code: r[0], Text: k}
}

// screen is the current screen's text without styles.
func (h *harness) screen() string { return ansi.Strip(h.m.Render()) }

func (h *harness) must(contains string) {
	h.t.Helper()
	if !h.await(func() bool { return strings.Contains(h.screen(), contains) }) {
		h.t.Fatalf("screen does not show %q:\n%s", contains, h.screen())
	}
}

// mustWrapped is must for text the screen may wrap: spaces and line breaks do not count.
func (h *harness) mustWrapped(contains string) {
	h.t.Helper()
	flat := func(s string) string { return strings.Join(strings.Fields(s), "") }
	if !h.await(func() bool { return strings.Contains(flat(h.screen()), flat(contains)) }) {
		h.t.Fatalf("screen does not show %q:\n%s", contains, h.screen())
	}
}

func (h *harness) at(want screenID) {
	h.t.Helper()
	if !h.await(func() bool { return h.m.cur == want }) {
		h.t.Fatalf("on screen %d, want %d:\n%s", h.m.cur, want, h.screen())
	}
}

// goSources reads the Go files (not the tests) that glob names, by file.
func goSources(t *testing.T, glob string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(glob)
	if err != nil || len(files) == 0 {
		t.Fatalf("no sources at %s: %v", glob, err)
	}
	out := map[string]string{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[f] = string(data)
	}
	return out
}

// mustNot fails when the screen shows text.
func (h *harness) mustNot(text, why string) {
	h.t.Helper()
	if strings.Contains(h.screen(), text) {
		h.t.Fatalf("%s: the screen shows %q:\n%s", why, text, h.screen())
	}
}

// sampleLive is a live migration after one catch-up round: two of three indices changed since, the next round
// estimated under the threshold.
func sampleLive() *steps.LiveStatus {
	return &steps.LiveStatus{Indices: 3, Threshold: 30 * time.Second, NextEstimate: 4200 * time.Millisecond, Estimated: true, Ready: true,
		Source: "source-cluster", Target: "target-cluster", StateFile: "esmigrate-state.json",
		Changed: []steps.ChangedIndex{
			{Name: "logs-2026.11.02", Target: "logs-2026.11.02", Ops: 1234, Since: "esmigrate-0a1b2c3d4e-r1"},
			{Name: "logs-2026.11.03", Target: "logs-2026.11.03", Ops: 56, Since: "esmigrate-0a1b2c3d4e-2"},
		},
		Rounds: []steps.RoundSummary{{Number: 1, Indices: 3, Duration: 12300 * time.Millisecond, SnapshotBytes: 3 << 20, CopiedBytes: 3 << 20,
			ReusedBytes: 11 << 20, RestoredBytes: 13 << 20, NextEstimate: 4200 * time.Millisecond, Verified: 1}}}
}

// sampleCutover is a cut-over whose block went on 2.5 s before the fake clock, in its last round.
func sampleCutover() *steps.CutoverState {
	return &steps.CutoverState{ConfirmedAt: fixedTime.Add(-3 * time.Second), Confirmation: "source-cluster",
		Indices: []string{"logs-2026.11.01", "logs-2026.11.02", "logs-2026.11.03"}, Phase: steps.CutoverRound,
		BlockRequestedAt: fixedTime.Add(-2500 * time.Millisecond), BlockSetAt: fixedTime.Add(-2400 * time.Millisecond)}
}

func (f *fakeBackend) LiveStatus(context.Context, steps.Plan, steps.Credentials) (*steps.LiveStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := sampleLive()
	st.Cutover = f.cut
	return st, nil
}

func (f *fakeBackend) CatchUp(ctx context.Context, p steps.Plan, _ steps.Credentials, o steps.CatchUpOptions, allow bool, on func(steps.Event)) (*steps.LiveStatus, error) {
	f.mu.Lock()
	f.catchUps = append(f.catchUps, o)
	f.allowDel = append(f.allowDel, allow)
	f.mu.Unlock()
	on(steps.Event{Time: fixedTime, Kind: steps.KindStart, Phase: steps.PhaseSnapshot, Round: 2, Batch: 2})
	on(steps.Event{Time: fixedTime, Kind: steps.KindProgress, Phase: steps.PhaseRestore, Round: 2, Batch: 2, Done: steps.Counts{Bytes: 1}, Total: steps.Counts{Bytes: 2}})
	if f.liveBlock {
		<-ctx.Done()
		return nil, &steps.StoppedError{Phase: steps.PhaseCatchUp, StatePath: p.StateFile}
	}
	st := sampleLive()
	st.Rounds = append(st.Rounds, steps.RoundSummary{Number: 2, Indices: 2, Duration: 3900 * time.Millisecond, SnapshotBytes: 200 << 10,
		CopiedBytes: 200 << 10, ReusedBytes: 8 << 20, RestoredBytes: 8<<20 + 300<<10, NextEstimate: 3100 * time.Millisecond, Verified: 2})
	st.NextEstimate = 3100 * time.Millisecond
	return st, nil
}

func (f *fakeBackend) Cutover(ctx context.Context, p steps.Plan, _ steps.Credentials, o steps.CutoverOptions, on func(steps.Event)) (*steps.Report, error) {
	f.mu.Lock()
	f.confirms = append(f.confirms, o.Confirm)
	f.mu.Unlock()
	c := sampleCutover()
	st := sampleLive()
	st.Cutover = c
	on(steps.Event{Time: fixedTime, Kind: steps.KindLog, Phase: steps.PhaseCutover, Live: st, Message: "write block on 3 source index(es)",
		Msg: i18n.M("live.block.on", 3, 100*time.Millisecond)})
	on(steps.Event{Time: fixedTime, Kind: steps.KindProgress, Phase: steps.PhaseRestore, Round: 3, Batch: 3, Done: steps.Counts{Bytes: 1}, Total: steps.Counts{Bytes: 4}})
	if f.liveBlock {
		<-ctx.Done()
		return nil, &steps.StoppedError{Phase: steps.PhaseCutover, StatePath: p.StateFile}
	}
	done := *c
	done.Phase, done.SeqNoVerified = steps.CutoverDone, 3
	done.FreezeEnd = c.BlockRequestedAt.Add(3400 * time.Millisecond)
	done.Freeze = 3400 * time.Millisecond
	done.Content = &steps.LiveContent{Indices: 3, Verified: 3}
	f.mu.Lock()
	f.cut = &done
	f.mu.Unlock()
	return &steps.Report{Batches: 2, Finished: true, Verified: 3, Live: &steps.LiveReport{Cutover: &done}}, nil
}

func (f *fakeBackend) Rollback(context.Context, steps.Plan, steps.Credentials, func(steps.Event)) (*steps.CutoverState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rollbacks++
	if f.cut == nil {
		return nil, nil
	}
	c := *f.cut
	c.RolledBack, c.RolledBackAt, c.Phase = true, fixedTime, steps.CutoverRolled
	f.cut = &c
	return &c, nil
}
