//go:build integration

package steps_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	neturl "net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/testenv/envtest"
)

// The metadata step as part of a migration, on real clusters (7.17 → 7.17): what it copies arrives before the
// first restore, once per migration (a resumed run does not copy again), and the report says what happened.
// Every promise is judged from the requests as they reached the target's wire and from the target's own items,
// read with a client of the test's.

// wireLog records "METHOD /path" of every request that reaches a cluster.
type wireLog struct {
	mu   sync.Mutex
	sent []string
}

func (w *wireLog) transport() http.RoundTripper {
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		w.mu.Lock()
		w.sent = append(w.sent, r.Method+" "+r.URL.Path)
		w.mu.Unlock()
		return http.DefaultTransport.RoundTrip(r)
	})
}

func (w *wireLog) lines() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.sent...)
}

// metadataPuts are the writes to the metadata APIs among the requests.
func metadataPuts(lines []string) []string {
	var out []string
	for _, l := range lines {
		if strings.HasPrefix(l, "PUT ") && (strings.Contains(l, "/_template/") || strings.Contains(l, "/_index_template/") ||
			strings.Contains(l, "/_component_template/") || strings.Contains(l, "/_ingest/pipeline/") || strings.Contains(l, "/_scripts/") ||
			strings.Contains(l, "/_ilm/")) {
			out = append(out, l)
		}
	}
	return out
}

// metaSource creates on the source an index that uses a pipeline (index.default_pipeline, empty: the 7.17
// runner has no processors) and is created by a composable template composed of a component template.
func metaSource(t *testing.T, url, id string) (index string, items []esclient.MetaItem) {
	t.Helper()
	index = id + "-logs"
	items = []esclient.MetaItem{
		{Kind: esclient.MetaPipeline, Name: id + "-pipe", Body: map[string]any{"description": "the writers' pipeline", "processors": []any{}}},
		{Kind: esclient.MetaComponentTemplate, Name: id + "-comp", Body: map[string]any{"template": map[string]any{
			"mappings": map[string]any{"properties": map[string]any{"msg": map[string]any{"type": "text"}}}}}},
		{Kind: esclient.MetaIndexTemplate, Name: id + "-daily", Body: map[string]any{"index_patterns": []any{id + "-logs*"}, "priority": 9,
			"composed_of": []any{id + "-comp"}, "template": map[string]any{"settings": map[string]any{"index": map[string]any{
				"number_of_shards": 1, "number_of_replicas": 0, "default_pipeline": id + "-pipe"}}}}},
	}
	setup := setupClient(t, url)
	for _, it := range items {
		mustDo(t, setup, esclient.PutMetaRequest(it, false, nil))
	}
	mustDo(t, setup, esclient.Request{Method: "PUT", Path: "/" + index})
	t.Cleanup(func() { setup.DeleteIndices(context.Background(), []string{index}) })
	for i := 0; i < 5; i++ {
		mustDo(t, setup, esclient.Request{Method: "POST", Path: "/" + index + "/_doc", Body: map[string]any{"msg": "written"}})
	}
	mustDo(t, setup, esclient.Request{Method: "POST", Path: "/" + index + "/_refresh"})
	return index, items
}

func TestTheMetadataStepCopiesBeforeTheFirstRestoreAndAResumeDoesNotCopyAgain(t *testing.T) {
	env := envtest.Load(t)
	id := envtest.Unique("mr")
	index, items := metaSource(t, env.SourceURL, id)
	removeMeta(t, []string{env.SourceURL, env.TargetURL}, items...)

	m := newMigration(t, true, index)
	m.plan.Metadata = steps.MetadataPlan{Copy: true}
	// First run: stopped as soon as the first batch starts its snapshot (a hang-up, say).
	var first wireLog
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	e := m.engine(steps.Options{TargetTransport: first.transport()}, func(ev steps.Event) {
		if ev.Kind == steps.KindStart && ev.Phase == steps.PhaseSnapshot && ev.Batch == 1 {
			cancel()
		}
	})
	_, err := e.Run(ctx)
	var stop *steps.StoppedError
	if !errors.As(err, &stop) {
		t.Fatalf("the first run should stop at the snapshot: %v", err)
	}
	puts := metadataPuts(first.lines())
	want := []string{"PUT /_ingest/pipeline/" + id + "-pipe", "PUT /_component_template/" + id + "-comp", "PUT /_index_template/" + id + "-daily"}
	if strings.Join(puts, "|") != strings.Join(want, "|") {
		t.Fatalf("the metadata step sent %v, want %v (what is named before what names it)", puts, want)
	}
	for _, l := range first.lines() {
		if strings.Contains(l, "/_restore") {
			t.Fatalf("a restore reached the target in the first run: %s", l)
		}
	}
	// The target holds the source's items now (read with the test's own client).
	for _, it := range items {
		got, ok := targetItem(t, env.TargetURL, it.Kind, it.Name)
		src, _ := targetItem(t, env.SourceURL, it.Kind, it.Name)
		if !ok {
			t.Fatalf("%s is not on the target", it.ID())
		}
		if d := steps.MetaDiff(src.Body, got.Body); len(d) > 0 {
			t.Errorf("%s differs on the target: %v", it.ID(), d)
		}
	}
	st, err := steps.ReadState(m.plan.StateFile)
	if err != nil || st.Metadata == nil || !st.Metadata.Done || st.Metadata.Result.Counts[steps.MetaCreated] != 3 {
		t.Fatalf("the state should record the step as done with 3 created: %v %+v", err, st)
	}

	// Resume: the batches run, the metadata step does not (no write to a metadata API), the restore does.
	var second wireLog
	rep, err := m.engine(steps.Options{TargetTransport: second.transport(), Resuming: true, AcceptWarnings: true}).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if puts := metadataPuts(second.lines()); len(puts) > 0 {
		t.Errorf("the resumed run wrote metadata again: %v", puts)
	}
	restores := 0
	for _, l := range second.lines() {
		if strings.Contains(l, "/_restore") {
			restores++
		}
	}
	if restores != 1 {
		t.Errorf("%d restores in the resumed run, want 1", restores)
	}
	m.countsEqual(index)
	if rep.Metadata == nil || rep.Metadata.Counts[steps.MetaCreated] != 3 {
		t.Fatalf("the report's metadata section: %+v", rep.Metadata)
	}
	md, err := os.ReadFile(rep.Markdown)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"## Metadata", "3 created", "| ingest pipeline | " + id + "-pipe | created |"} {
		if !strings.Contains(string(md), w) {
			t.Errorf("the report lacks %q:\n%s", w, md)
		}
	}
}

func TestADryRunShowsTheMetadataRequestsAndSendsNone(t *testing.T) {
	env := envtest.Load(t)
	id := envtest.Unique("md")
	index, items := metaSource(t, env.SourceURL, id)
	removeMeta(t, []string{env.SourceURL, env.TargetURL}, items...)
	m := newMigration(t, true, index)
	m.plan.Metadata = steps.MetadataPlan{Copy: true}
	var wire wireLog
	if _, err := m.engine(steps.Options{DryRun: true, AcceptWarnings: true, TargetTransport: wire.transport()}).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	var curls []string
	for _, ev := range m.requests(steps.PhaseMetadata) {
		curls = append(curls, ev.Curl)
	}
	all := strings.Join(curls, "\n")
	for _, it := range items {
		if !strings.Contains(all, it.Name) {
			t.Errorf("the dry run does not show the request for %s:\n%s", it.ID(), all)
		}
	}
	if puts := metadataPuts(wire.lines()); len(puts) > 0 {
		t.Errorf("a dry run sent %v", puts)
	}
	for _, it := range items {
		if _, ok := targetItem(t, env.TargetURL, it.Kind, it.Name); ok {
			t.Errorf("%s is on the target after a dry run", it.ID())
		}
	}
}

// A conflict named in metadata.overwrite is overwritten by the headless run only with --allow-metadata-overwrite.
func TestHeadlessOverwritesAConflictOnlyWithAllowMetadataOverwrite(t *testing.T) {
	env := envtest.Load(t)
	id := envtest.Unique("mo")
	index, items := metaSource(t, env.SourceURL, id)
	removeMeta(t, []string{env.SourceURL, env.TargetURL}, items...)
	pipe := items[0]
	theirs := esclient.MetaItem{Kind: pipe.Kind, Name: pipe.Name, Body: map[string]any{"description": "the target's own", "processors": []any{}}}
	mustDo(t, setupClient(t, env.TargetURL), esclient.PutMetaRequest(theirs, false, nil))

	for _, allow := range []bool{false, true} {
		m := newMigration(t, true, index)
		m.plan.Metadata = steps.MetadataPlan{Copy: true, Overwrite: []string{"ingest_pipeline/" + pipe.Name}}
		args := []string{"run", "--plan", writePlan(t, m.plan), "--accept-warnings"}
		if allow {
			args = append(args, "--allow-metadata-overwrite")
		}
		out, err := exec.Command(binary, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		got, _ := targetItem(t, env.TargetURL, pipe.Kind, pipe.Name)
		desc, _ := got.Body["description"].(string)
		switch {
		case !allow && desc != "the target's own":
			t.Errorf("without --allow-metadata-overwrite the target's pipeline was replaced: %q\n%s", desc, out)
		case !allow && !strings.Contains(string(out), "needs the operator's typed confirmation"):
			t.Errorf("the run does not say why the conflict was kept:\n%s", out)
		case allow && desc != "the writers' pipeline":
			t.Errorf("with --allow-metadata-overwrite the pipeline should be the source's: %q\n%s", desc, out)
		}
		// The migration's own index went through either way.
		m.countsEqual(index)
	}
}

// ilmProxy stands in front of a real target: GET _ilm/status and POST _ilm/stop are answered from the recorded
// answers of Elastic's documentation (no runner has ILM: testdata/ilm/README.md), everything else goes to the
// cluster. It records every request in the order it arrived.
func ilmProxy(t *testing.T, target string) (url string, wire *wireLog) {
	t.Helper()
	wire = &wireLog{}
	status, err := os.ReadFile("testdata/ilm/ilm-status-running.json")
	if err != nil {
		t.Fatal(err)
	}
	stop, err := os.ReadFile("testdata/ilm/ilm-stop.json")
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wire.mu.Lock()
		wire.sent = append(wire.sent, r.Method+" "+r.URL.Path)
		wire.mu.Unlock()
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.Method == "GET" && r.URL.Path == "/_ilm/status":
			w.Header().Set("Content-Type", "application/json")
			if stopped {
				w.Write([]byte(`{"operation_mode":"STOPPED"}`)) // the same documentation page's STOPPED answer
				return
			}
			w.Write(status)
		case r.Method == "POST" && r.URL.Path == "/_ilm/stop":
			stopped = true
			w.Header().Set("Content-Type", "application/json")
			w.Write(stop)
		default:
			u, _ := neturl.Parse(target)
			httputil.NewSingleHostReverseProxy(u).ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL, wire
}

// restore.pause_ilm: ILM stops before the first restore, once per migration, and the report says it stays
// stopped. The restore is real; ILM's two answers are recorded (the one place recorded answers stand in).
func TestPauseILMStopsTheTargetsLifecycleBeforeTheFirstRestore(t *testing.T) {
	env := envtest.Load(t)
	m := newMigration(t, true, "metrics-small")
	url, wire := ilmProxy(t, env.TargetURL)
	m.plan.Target.URL = url
	m.plan.Restore.PauseILM = true
	rep, err := m.run(steps.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m.countsEqual("metrics-small")
	stop, restore := -1, -1
	for i, l := range wire.lines() {
		switch {
		case l == "POST /_ilm/stop":
			if stop >= 0 {
				t.Errorf("ILM was stopped twice")
			}
			stop = i
		case strings.HasSuffix(l, "/_restore") && restore < 0:
			restore = i
		}
	}
	if stop < 0 || restore < 0 || stop > restore {
		t.Fatalf("POST _ilm/stop at %d, the first restore at %d: the stop must come first\n%s", stop, restore, strings.Join(wire.lines(), "\n"))
	}
	md, _ := os.ReadFile(rep.Markdown)
	if !rep.ILMStopped || !strings.Contains(string(md), "## Lifecycle") || !strings.Contains(string(md), "POST _ilm/start") {
		t.Errorf("the report should say ILM stays stopped:\n%s", md)
	}
	// The curl the run showed for it.
	var said bool
	for _, ev := range m.requests(steps.PhaseMetadata) {
		said = said || strings.Contains(ev.Curl, "_ilm/stop")
	}
	if !said {
		t.Error("the stop was not shown as a request")
	}
}
