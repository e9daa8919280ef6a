//go:build integration

package steps_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/i18n"
	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/testenv/envtest"
)

// The metadata step against the real runners: templates of every kind between every pair of them (with a
// conflict, and OpenSearch as a target), pipelines with processors and stored scripts from 7.10 into OpenSearch
// 2.19, and the runners that cannot take them (7.17). What each runner takes was measured on it (testenv/README).

type metaCluster struct{ name, url string }

// metaClusters are the clusters metadata is read from and written to: the four runners (7.10 legacy, 7.17
// source, 8.19 next, OpenSearch 2.19); the 7.17 target stands in for 7.17 as a destination, so that 7.17 → 7.17
// is a pair of two clusters too.
func metaClusters(t *testing.T) (from, to []metaCluster) {
	env := envtest.Load(t)
	legacy, next, os := envtest.Extra(t, "legacy"), envtest.Extra(t, "next"), envtest.Extra(t, "opensearch")
	from = []metaCluster{{"legacy", legacy}, {"source", env.SourceURL}, {"next", next}, {"opensearch", os}}
	to = []metaCluster{{"legacy", legacy}, {"target", env.TargetURL}, {"next", next}, {"opensearch", os}}
	return from, to
}

// setupClient writes test fixtures (never used by the code under test: the engine builds its own clients).
func setupClient(t *testing.T, url string) *esclient.Client {
	t.Helper()
	c, err := esclient.New(esclient.Config{Role: "setup", URL: url})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustDo(t *testing.T, c *esclient.Client, req esclient.Request) {
	t.Helper()
	if err := c.Do(context.Background(), i18n.Text("test setup"), req, nil); err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.Path, err)
	}
}

// removeMeta deletes test items from clusters when the test ends.
func removeMeta(t *testing.T, urls []string, items ...esclient.MetaItem) {
	t.Cleanup(func() {
		for _, u := range urls {
			c := setupClient(t, u)
			// templates before what they name: a composable template keeps its component templates in use
			for i := len(items) - 1; i >= 0; i-- {
				c.Do(context.Background(), i18n.Text("clean up"), esclient.DeleteMetaRequest(items[i].Kind, items[i].Name), nil)
			}
		}
	})
}

func info(t *testing.T, url string) esclient.Info {
	t.Helper()
	i, err := setupClient(t, url).Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return i
}

// metaRun is one engine over a source and a target, with its events and the requests each cluster received.
type metaRun struct {
	t      *testing.T
	e      *steps.Engine
	mu     sync.Mutex
	events []steps.Event
	sent   map[string][]string // role → "METHOD /path" as they reached the wire
}

func newMetaRun(t *testing.T, srcURL, dstURL string, mp steps.MetadataPlan, o steps.Options, indices ...string) *metaRun {
	t.Helper()
	p := steps.DefaultPlan()
	p.Source.URL, p.Target.URL = srcURL, dstURL
	p.Repository.SourceLocation, p.Repository.TargetLocation = "/nonexistent/meta", "/nonexistent/meta"
	p.Indices = indices
	if len(indices) == 0 {
		p.Indices = []string{"no-index-selected"}
	}
	p.Metadata = mp
	r := &metaRun{t: t, sent: map[string][]string{}}
	o.OnEvent = func(ev steps.Event) { r.mu.Lock(); r.events = append(r.events, ev); r.mu.Unlock() }
	wire := func(role string) http.RoundTripper {
		return roundTripper(func(req *http.Request) (*http.Response, error) {
			r.mu.Lock()
			r.sent[role] = append(r.sent[role], req.Method+" "+req.URL.Path)
			r.mu.Unlock()
			return http.DefaultTransport.RoundTrip(req)
		})
	}
	o.SourceTransport, o.TargetTransport = wire("source"), wire("target")
	e, err := steps.New(p, o)
	if err != nil {
		t.Fatal(err)
	}
	r.e = e
	return r
}

func (r *metaRun) inspect() *steps.MetadataInventory {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	src, dst, err := r.e.Connect(ctx)
	if err != nil {
		r.t.Fatal(err)
	}
	all, err := r.e.ListIndices(ctx)
	if err != nil {
		r.t.Fatal(err)
	}
	inv, err := r.e.InspectMetadata(ctx, src, dst, steps.Select(all, r.e.Plan()))
	if err != nil {
		r.t.Fatal(err)
	}
	return inv
}

func (r *metaRun) copy(inv *steps.MetadataInventory, confirmed bool) *steps.MetadataResult {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := r.e.CopyMetadata(ctx, inv, confirmed)
	if err != nil {
		r.t.Fatal(err)
	}
	return res
}

func (r *metaRun) requestEvents() []steps.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []steps.Event
	for _, ev := range r.events {
		if ev.Kind == steps.KindRequest && ev.Phase == steps.PhaseMetadata {
			out = append(out, ev)
		}
	}
	return out
}

func outcome(t *testing.T, res *steps.MetadataResult, kind esclient.MetaKind, name string) steps.MetadataOutcome {
	t.Helper()
	for _, o := range res.Items {
		if o.Kind == kind && o.Name == name {
			return o
		}
	}
	t.Fatalf("no outcome for %s/%s in %+v", kind, name, res.Items)
	return steps.MetadataOutcome{}
}

func entry(t *testing.T, inv *steps.MetadataInventory, kind esclient.MetaKind, name string) steps.MetadataEntry {
	t.Helper()
	en, ok := inv.Entry(kind, name)
	if !ok {
		t.Fatalf("no %s/%s in the inventory", kind, name)
	}
	return en
}

// targetItem reads an item from a cluster with a client of its own.
func targetItem(t *testing.T, url string, kind esclient.MetaKind, name string) (esclient.MetaItem, bool) {
	t.Helper()
	items, err := setupClient(t, url).MetaItems(context.Background(), kind)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.Name == name {
			return it, true
		}
	}
	return esclient.MetaItem{}, false
}

// templatesOn builds the three kinds of templates a test puts on a source: a component template, a composable
// template composed of it, and a legacy template. allow_auto_create (7.11+) goes into the composable template
// where the source takes it, so that the translation for 7.10 and OpenSearch has something to leave out.
func templatesOn(id string, src esclient.Info) []esclient.MetaItem {
	ct := esclient.MetaItem{Kind: esclient.MetaComponentTemplate, Name: id + "-ct", Body: map[string]any{
		"template": map[string]any{"settings": map[string]any{"number_of_shards": 1},
			"mappings": map[string]any{"properties": map[string]any{"msg": map[string]any{"type": "text"}}}},
		"version": 3, "_meta": map[string]any{"owner": "esmigrate-test"}}}
	it := esclient.MetaItem{Kind: esclient.MetaIndexTemplate, Name: id + "-it", Body: map[string]any{
		"index_patterns": []any{id + "-it-*"}, "priority": 7, "composed_of": []any{id + "-ct"},
		"template": map[string]any{"aliases": map[string]any{id + "-al": map[string]any{}}}}}
	if src.Distribution == esclient.Elasticsearch && !src.Version.Less(esclient.Version{Major: 7, Minor: 11}) {
		it.Body["allow_auto_create"] = true
	}
	lt := esclient.MetaItem{Kind: esclient.MetaLegacyTemplate, Name: id + "-lt", Body: map[string]any{
		"index_patterns": []any{id + "-lt-*"}, "order": 3, "settings": map[string]any{"index": map[string]any{"number_of_replicas": 0}},
		"mappings": map[string]any{"properties": map[string]any{"b": map[string]any{"type": "keyword"}}},
		"aliases":  map[string]any{id + "-lal": map[string]any{}}}}
	return []esclient.MetaItem{ct, it, lt}
}

func TestTemplatesOfEveryKindCopyBetweenEveryPairOfRunnersWithAConflict(t *testing.T) {
	from, to := metaClusters(t)
	for _, f := range from {
		for _, d := range to {
			if f.url == d.url {
				continue
			}
			t.Run(f.name+"→"+d.name, func(t *testing.T) { testTemplatesPair(t, f, d) })
		}
	}
}

func testTemplatesPair(t *testing.T, f, d metaCluster) {
	id := envtest.Unique("meta")
	srcInfo, dstInfo := info(t, f.url), info(t, d.url)
	items := templatesOn(id, srcInfo)
	removeMeta(t, []string{f.url, d.url}, items...)
	setup := setupClient(t, f.url)
	for _, it := range items {
		mustDo(t, setup, esclient.PutMetaRequest(it, false, nil))
	}
	mp := steps.MetadataPlan{Copy: true, Include: []string{"*/" + id + "-*"}}
	r := newMetaRun(t, f.url, d.url, mp, steps.Options{})
	inv := r.inspect()
	for _, it := range items {
		en := entry(t, inv, it.Kind, it.Name)
		if !en.Selected || en.State != steps.MetaAbsent {
			t.Fatalf("%s: selected %v, state %s (want chosen and absent): %s", it.ID(), en.Selected, en.State, en.NotCopyable.String())
		}
	}
	// allow_auto_create: the translation leaves it out where the target does not know it, and says so; the
	// target really refuses it (the fault the translation avoids happens without it).
	comp := entry(t, inv, esclient.MetaIndexTemplate, id+"-it")
	if _, had := items[1].Body["allow_auto_create"]; had {
		knows := dstInfo.Distribution == esclient.Elasticsearch && !dstInfo.Version.Less(esclient.Version{Major: 7, Minor: 11})
		noted := strings.Contains(strings.Join(i18n.Strings(comp.Notes), " "), "allow_auto_create left out")
		if knows == noted {
			t.Errorf("%s takes allow_auto_create: %v, but the notes say %v", dstInfo.Product(), knows, comp.Notes)
		}
		if !knows {
			raw := items[1]
			raw.Name = id + "-raw"
			err := setupClient(t, d.url).Do(context.Background(), i18n.Text("put untranslated"), esclient.PutMetaRequest(raw, false, nil), nil)
			if err == nil || !strings.Contains(err.Error(), "unknown field [allow_auto_create]") {
				t.Errorf("the untranslated template should be refused by %s: %v", dstInfo.Product(), err)
				removeMeta(t, []string{d.url}, raw)
			}
		}
	}

	res := r.copy(inv, false)
	for _, it := range items {
		if o := outcome(t, res, it.Kind, it.Name); o.Result != steps.MetaCreated {
			t.Errorf("%s: %s %s (%s)", it.ID(), o.Result, o.Reason, o.Fix)
		}
		if _, ok := targetItem(t, d.url, it.Kind, it.Name); !ok {
			t.Errorf("%s is not on the target after the copy", it.ID())
		}
	}
	reqs := r.requestEvents()
	if len(reqs) != 3 {
		t.Errorf("one request per item, each shown as curl: %d", len(reqs))
	}
	for _, ev := range reqs {
		if !strings.HasPrefix(ev.Curl, "curl -sS -X PUT '"+d.url+"/_") || !strings.Contains(ev.Curl, "create=true") {
			t.Errorf("curl: %s", ev.Curl)
		}
	}
	// Read back from the target, each item compares identical to the (translated) source item.
	inv = newMetaRun(t, f.url, d.url, mp, steps.Options{}).inspect()
	for _, it := range items {
		if en := entry(t, inv, it.Kind, it.Name); en.State != steps.MetaIdentical {
			t.Errorf("%s after the copy: %s %v", it.ID(), en.State, en.Diff)
		}
	}

	// A conflict: the target's legacy template changes. Skipped by default, skipped without the typed
	// confirmation, overwritten with it.
	changed := items[2]
	changed.Body = map[string]any{"index_patterns": []any{id + "-lt-*"}, "order": 9}
	mustDo(t, setupClient(t, d.url), esclient.PutMetaRequest(changed, true, nil))
	order := func() string {
		it, _ := targetItem(t, d.url, esclient.MetaLegacyTemplate, id+"-lt")
		return fmt.Sprint(it.Body["order"])
	}
	r = newMetaRun(t, f.url, d.url, mp, steps.Options{})
	inv = r.inspect()
	lt := entry(t, inv, esclient.MetaLegacyTemplate, id+"-lt")
	if lt.State != steps.MetaDifferent || !containsLine(i18n.Strings(lt.Diff), "~ order: 3 on the source, 9 on the target") {
		t.Fatalf("conflict: %s %v", lt.State, lt.Diff)
	}
	if o := outcome(t, r.copy(inv, true), esclient.MetaLegacyTemplate, id+"-lt"); o.Result != steps.MetaSkipped || order() != "9" {
		t.Errorf("on_conflict skip (the default): %s, target order %s", o.Result, order())
	}
	mp.OnConflict = steps.MetaConflictOverwrite
	r = newMetaRun(t, f.url, d.url, mp, steps.Options{})
	if o := outcome(t, r.copy(r.inspect(), false), esclient.MetaLegacyTemplate, id+"-lt"); o.Result != steps.MetaSkipped ||
		!strings.Contains(o.Reason.String(), "typed confirmation") || order() != "9" {
		t.Errorf("overwrite without the confirmation: %s %s, target order %s", o.Result, o.Reason, order())
	}
	r = newMetaRun(t, f.url, d.url, mp, steps.Options{})
	res = r.copy(r.inspect(), true)
	if o := outcome(t, res, esclient.MetaLegacyTemplate, id+"-lt"); o.Result != steps.MetaOverwritten || order() != "3" {
		t.Errorf("overwrite with the confirmation: %s %s, target order %s", o.Result, o.Reason, order())
	}
	if o := outcome(t, res, esclient.MetaIndexTemplate, id+"-it"); o.Result != steps.MetaUnchanged {
		t.Errorf("an identical item is left alone: %s", o.Result)
	}
	for _, ev := range r.requestEvents() {
		if strings.Contains(ev.Curl, "create=true") || !strings.Contains(ev.Curl, "/_template/"+id+"-lt") {
			t.Errorf("only the overwrite is sent, without create=true: %s", ev.Curl)
		}
	}
}

func containsLine(lines []string, s string) bool {
	for _, l := range lines {
		if l == s {
			return true
		}
	}
	return false
}

// pipelinesOn builds, for a 7.10 source: a painless stored script, a mustache search template, a pipeline
// that names the script (script processor) and another pipeline (pipeline processor), that other pipeline, and
// an empty pipeline (the only kind 7.17 and 8.19 runners take).
func pipelinesOn(id string) []esclient.MetaItem {
	return []esclient.MetaItem{
		{Kind: esclient.MetaStoredScript, Name: id + "-double", Body: map[string]any{"script": map[string]any{
			"lang": "painless", "source": "ctx.total = ctx.a * params.f"}}},
		{Kind: esclient.MetaStoredScript, Name: id + "-search", Body: map[string]any{"script": map[string]any{
			"lang": "mustache", "source": map[string]any{"query": map[string]any{"match": map[string]any{"msg": "{{q}}"}}}}}},
		{Kind: esclient.MetaPipeline, Name: id + "-inner", Body: map[string]any{"description": "lower case the message",
			"processors": []any{map[string]any{"lowercase": map[string]any{"field": "msg"}}}}},
		{Kind: esclient.MetaPipeline, Name: id + "-main", Body: map[string]any{"description": "esmigrate test",
			"processors": []any{
				map[string]any{"set": map[string]any{"field": "stage", "value": "main"}},
				map[string]any{"script": map[string]any{"id": id + "-double", "params": map[string]any{"f": 2}}},
				map[string]any{"pipeline": map[string]any{"name": id + "-inner"}},
			},
			"on_failure": []any{map[string]any{"set": map[string]any{"field": "error", "value": "{{ _ingest.on_failure_message }}"}}}}},
		{Kind: esclient.MetaPipeline, Name: id + "-empty", Body: map[string]any{"description": "nothing", "processors": []any{}}},
	}
}

// pipelineSource puts the items on the 7.10 runner with an index whose default pipeline is the main one.
func pipelineSource(t *testing.T, legacy string, id string, targets ...string) []esclient.MetaItem {
	items := pipelinesOn(id)
	removeMeta(t, append([]string{legacy}, targets...), items...)
	setup := setupClient(t, legacy)
	for _, it := range items {
		mustDo(t, setup, esclient.PutMetaRequest(it, false, nil))
	}
	mustDo(t, setup, esclient.Request{Method: "PUT", Path: "/" + id + "-idx", Body: map[string]any{"settings": map[string]any{
		"index": map[string]any{"number_of_shards": 1, "number_of_replicas": 0, "default_pipeline": id + "-main"}}}})
	t.Cleanup(func() { setup.DeleteIndices(context.Background(), []string{id + "-idx"}) })
	return items
}

func TestPipelinesWithProcessorsAndStoredScriptsFrom710IntoOpenSearch(t *testing.T) {
	legacy, osURL := envtest.Extra(t, "legacy"), envtest.Extra(t, "opensearch")
	id := envtest.Unique("meta")
	pipelineSource(t, legacy, id, osURL)
	// The index names its default pipeline: that pipeline, the pipeline and script it names are chosen by
	// default; the search template is named in include.
	mp := steps.MetadataPlan{Copy: true, Include: []string{"stored_script/" + id + "-search"}}
	r := newMetaRun(t, legacy, osURL, mp, steps.Options{}, id+"-idx")
	inv := r.inspect()
	for _, want := range []struct {
		kind esclient.MetaKind
		name string
		used string
	}{
		{esclient.MetaPipeline, id + "-main", "index.default_pipeline of " + id + "-idx"},
		{esclient.MetaPipeline, id + "-inner", "named by ingest pipeline " + id + "-main (pipeline processor)"},
		{esclient.MetaStoredScript, id + "-double", "named by ingest pipeline " + id + "-main (script processor)"},
	} {
		en := entry(t, inv, want.kind, want.name)
		if !en.Selected || len(en.UsedBy) == 0 || en.UsedBy[0].String() != want.used {
			t.Errorf("%s: selected %v, used by %v (want %q)", en.ID(), en.Selected, en.UsedBy, want.used)
		}
	}
	if en := entry(t, inv, esclient.MetaPipeline, id+"-empty"); en.Selected {
		t.Errorf("an unused pipeline is not chosen: %+v", en)
	}
	res := r.copy(inv, false)
	for _, n := range []string{"-double", "-search", "-inner", "-main"} {
		kind := esclient.MetaPipeline
		if n == "-double" || n == "-search" {
			kind = esclient.MetaStoredScript
		}
		if o := outcome(t, res, kind, id+n); o.Result != steps.MetaCreated {
			t.Errorf("%s%s: %s %s", kind, n, o.Result, o.Reason)
		}
	}
	// The pipeline works on OpenSearch: its processors, the stored script and the nested pipeline run.
	var sim struct {
		Docs []struct {
			Doc struct {
				Source map[string]any `json:"_source"`
			} `json:"doc"`
		} `json:"docs"`
	}
	dst := setupClient(t, osURL)
	if err := dst.Do(context.Background(), i18n.Text("simulate"), esclient.Request{Method: "POST", Path: "/_ingest/pipeline/" + id + "-main/_simulate",
		Body: map[string]any{"docs": []any{map[string]any{"_source": map[string]any{"a": 21, "msg": "HeLLo"}}}}}, &sim); err != nil {
		t.Fatal(err)
	}
	if len(sim.Docs) != 1 {
		t.Fatalf("simulate: %+v", sim)
	}
	got := sim.Docs[0].Doc.Source
	if fmt.Sprint(got["stage"]) != "main" || fmt.Sprint(got["total"]) != "42" || got["msg"] != "hello" || got["error"] != nil {
		t.Errorf("the copied pipeline on OpenSearch made %v", got)
	}
	// The stored search template renders there.
	var rendered map[string]any
	if err := dst.Do(context.Background(), i18n.Text("render"), esclient.Request{Method: "POST", Path: "/_render/template",
		Body: map[string]any{"id": id + "-search", "params": map[string]any{"q": "needle"}}}, &rendered); err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(rendered); !strings.Contains(string(b), `"msg":"needle"`) {
		t.Errorf("rendered: %s", b)
	}
	// Nothing but reads reached the source (this test's own rule, at the wire). The index listing counts
	// top-level documents with POST /_msearch, a search.
	for _, s := range r.sent["source"] {
		if !strings.HasPrefix(s, "GET ") && !strings.HasPrefix(s, "HEAD ") && s != "POST /_msearch" {
			t.Errorf("the metadata step sent %s to the source", s)
		}
	}
	if len(r.sent["source"]) == 0 {
		t.Error("no source request recorded")
	}
	inv = newMetaRun(t, legacy, osURL, mp, steps.Options{}, id+"-idx").inspect()
	for _, en := range inv.Selected() {
		if strings.HasPrefix(en.Name, id) && en.State != steps.MetaIdentical {
			t.Errorf("%s after the copy: %s %v", en.ID(), en.State, en.Diff)
		}
	}
}

func TestATargetThatCannotTakeAnItemSaysWhyAndTheOthersAreCopied(t *testing.T) {
	env := envtest.Load(t)
	legacy := envtest.Extra(t, "legacy")
	id := envtest.Unique("meta")
	pipelineSource(t, legacy, id, env.TargetURL)
	mp := steps.MetadataPlan{Copy: true, Include: []string{"*/" + id + "-*"}}
	r := newMetaRun(t, legacy, env.TargetURL, mp, steps.Options{}, id+"-idx")
	res := r.copy(r.inspect(), false)
	for _, c := range []struct {
		kind   esclient.MetaKind
		name   string
		result string
		reason string
		fix    string
	}{
		{esclient.MetaStoredScript, "-double", steps.MetaRefused, "unsupported lang [painless]", `no "painless" script language (module lang-painless)`},
		{esclient.MetaStoredScript, "-search", steps.MetaRefused, "unsupported lang [mustache]", `no "mustache" script language`},
		{esclient.MetaPipeline, "-main", steps.MetaRefused, "No processor type exists with name [set]", `no "set" processor`},
		{esclient.MetaPipeline, "-inner", steps.MetaRefused, "No processor type exists with name [lowercase]", "ingest-common"},
		{esclient.MetaPipeline, "-empty", steps.MetaCreated, "", ""},
	} {
		o := outcome(t, res, c.kind, id+c.name)
		if o.Result != c.result || !strings.Contains(o.Reason.String(), c.reason) || !strings.Contains(o.Fix.String(), c.fix) {
			t.Errorf("%s%s: %s / %s / %s", c.kind, c.name, o.Result, o.Reason, o.Fix)
		}
		if c.result == steps.MetaRefused && !strings.HasPrefix(o.Reason.String(), "the target cannot take this item: ") {
			t.Errorf("%s%s: %s", c.kind, c.name, o.Reason)
		}
	}
	if _, ok := targetItem(t, env.TargetURL, esclient.MetaPipeline, id+"-empty"); !ok {
		t.Error("the empty pipeline should be on the target")
	}
	if _, ok := targetItem(t, env.TargetURL, esclient.MetaPipeline, id+"-main"); ok {
		t.Error("a refused pipeline is not on the target")
	}
	if len(r.requestEvents()) != 5 {
		t.Errorf("every item was tried and shown as curl: %d requests", len(r.requestEvents()))
	}
	var warned int
	for _, ev := range r.events {
		if ev.Phase == steps.PhaseMetadata && ev.Level == steps.LevelWarn && strings.Contains(ev.Message, "the target cannot take this item") {
			warned++
		}
	}
	if warned != 4 {
		t.Errorf("each refusal is told as a warning: %d", warned)
	}
	if md := (&steps.Report{Metadata: res}).MarkdownText(); !strings.Contains(md, "4 refused") || !strings.Contains(md, "1 created") {
		t.Errorf("report:\n%s", md)
	}
}

func TestADryRunCopiesNoMetadataAndShowsEveryRequest(t *testing.T) {
	env := envtest.Load(t)
	legacy := envtest.Extra(t, "legacy")
	id := envtest.Unique("meta")
	items := templatesOn(id, info(t, legacy))
	removeMeta(t, []string{legacy, env.TargetURL}, items...)
	for _, it := range items {
		mustDo(t, setupClient(t, legacy), esclient.PutMetaRequest(it, false, nil))
	}
	r := newMetaRun(t, legacy, env.TargetURL, steps.MetadataPlan{Copy: true, Include: []string{"*/" + id + "-*"}}, steps.Options{DryRun: true})
	res := r.copy(r.inspect(), false)
	if res.Counts[steps.MetaWouldCreate] != 3 || len(r.requestEvents()) != 3 {
		t.Errorf("dry run: %v, %d curl", res.Counts, len(r.requestEvents()))
	}
	for _, s := range r.sent["target"] {
		if !strings.HasPrefix(s, "GET ") && !strings.HasPrefix(s, "HEAD ") {
			t.Errorf("a dry run sent %s to the target", s)
		}
	}
	for _, it := range items {
		if _, ok := targetItem(t, env.TargetURL, it.Kind, it.Name); ok {
			t.Errorf("%s is on the target after a dry run", it.ID())
		}
	}
}
