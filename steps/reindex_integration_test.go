//go:build integration

package steps_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/i18n"
	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/testenv/envtest"
)

// The reindex pre-flight on the runners, each verdict checked against what _reindex from remote really does on
// that cluster (a test-owned index, on the target only).

func reindexChecks(t *testing.T, srcURL, dstURL string) (steps.ClusterSummary, steps.ClusterSummary, steps.Selection, []steps.Check) {
	t.Helper()
	p := steps.DefaultPlan()
	p.Source.URL, p.Target.URL = srcURL, dstURL
	p.Repository.SourceLocation, p.Repository.TargetLocation = "/nonexistent/rx", "/nonexistent/rx"
	p.Indices = []string{"metrics-small", "articles"}
	e, err := steps.New(p, steps.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	src, dst, err := e.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	all, err := e.ListIndices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sel := steps.Select(all, p)
	need := steps.NeedsReindex(src, dst, sel)
	return src, dst, sel, e.ReindexChecks(ctx, dst, need)
}

// reindexFromRemote asks the target to pull metrics-small from the source into a new index.
func reindexFromRemote(t *testing.T, srcURL, dstURL string) (string, error) {
	dest := envtest.Unique("rx")
	dst := setupClient(t, dstURL)
	t.Cleanup(func() { dst.DeleteIndices(context.Background(), []string{dest}) })
	err := dst.Do(context.Background(), i18n.Text("reindex from remote"), esclient.Request{Method: "POST", Path: "/_reindex",
		Params: map[string][]string{"wait_for_completion": {"true"}, "refresh": {"true"}},
		Body: map[string]any{"source": map[string]any{"remote": map[string]any{"host": srcURL}, "index": "metrics-small"},
			"dest": map[string]any{"index": dest}}}, nil)
	return dest, err
}

func TestTheReindexCheckSaysWhetherTheTargetCanPullFromTheSource(t *testing.T) {
	env := envtest.Load(t)
	osURL := envtest.Extra(t, "opensearch")
	hp, _ := steps.SourceHostPort(env.SourceURL)

	// The 7.17 target has the source in its whitelist (cluster.sh writes it): ready, and a reindex works.
	_, _, _, checks := reindexChecks(t, env.SourceURL, env.TargetURL)
	if len(checks) != 1 || checks[0].Status != steps.OK || !strings.Contains(checks[0].Evidence, "covers "+hp) {
		// testenv/cluster.sh writes the source into the target's whitelist; `cluster.sh restart target` rewrites it
		// from SOURCE_PORT, so a restart without SOURCE_PORT exported leaves the default 19200 there.
		t.Fatalf("7.17 target (its whitelist should name the source; was it restarted without SOURCE_PORT?): %+v", checks)
	}
	dest, err := reindexFromRemote(t, env.SourceURL, env.TargetURL)
	if err != nil {
		t.Fatalf("the check said ready, the reindex failed: %v", err)
	}
	a, _ := setupClient(t, env.SourceURL).Count(context.Background(), "metrics-small")
	b, _ := setupClient(t, env.TargetURL).Count(context.Background(), dest)
	if a == 0 || a != b {
		t.Errorf("reindexed %d of %d documents", b, a)
	}

	// OpenSearch cannot restore a 7.17 index: every selected index needs the reindex path. Its nodes allow the
	// source (cluster.sh writes reindex.remote.allowlist), so the check says ready.
	src, dst, sel, checks := reindexChecks(t, env.SourceURL, osURL)
	if src.Info.Version.Major == 7 && src.Info.Version.Minor > 10 && len(steps.NeedsReindex(src, dst, sel)) != len(sel.Indices) {
		t.Errorf("every index of %s needs the reindex path into %s", src.Info.Product(), dst.Info.Product())
	}
	if len(checks) != 1 || checks[0].Status != steps.OK || !strings.Contains(checks[0].Evidence, "reindex.remote.allowlist of all 1 node(s) covers "+hp) {
		t.Fatalf("OpenSearch target, the source allowed: %+v", checks)
	}
	// The legacy cluster is not in that list: the check writes the line, and OpenSearch really refuses it.
	legacy := envtest.Extra(t, "legacy")
	lhp, _ := steps.SourceHostPort(legacy)
	_, _, _, checks = reindexChecks(t, legacy, osURL)
	want := "`reindex.remote.allowlist: [\"" + hp + "\", \"" + lhp + "\"]` to opensearch.yml"
	if len(checks) != 1 || checks[0].Status != steps.Fail || !strings.Contains(checks[0].Fix, want) || !strings.Contains(checks[0].Fix, "opensearch-1") {
		t.Fatalf("OpenSearch target, the legacy source not allowed (want %s): %+v", want, checks)
	}
	if _, err := reindexFromRemote(t, legacy, osURL); err == nil || !strings.Contains(err.Error(), "not allowlisted in reindex.remote.allowlist") {
		t.Errorf("OpenSearch should refuse the legacy source: %v", err)
	}
}

func TestATargetWithoutTheReindexModuleIsExplained(t *testing.T) {
	env := envtest.Load(t)
	next := envtest.Extra(t, "next")
	_, _, _, checks := reindexChecks(t, env.SourceURL, next)
	if len(checks) != 1 || checks[0].ID != "reindex-module" || checks[0].Status != steps.Fail ||
		!strings.Contains(checks[0].Evidence, "no reindex module") || !strings.Contains(checks[0].Fix, "intermediate cluster") {
		t.Fatalf("8.19 runner: %+v", checks)
	}
	// The runner really has no _reindex.
	_, err := reindexFromRemote(t, env.SourceURL, next)
	if esclient.StatusOf(err) != 405 {
		t.Errorf("POST _reindex on the 8.19 runner: %v (want 405)", err)
	}
}

// indexingTotal is how many documents a cluster has written into an index (primaries), read at its own stats:
// an independent witness that nothing was written to the source.
func indexingTotal(t *testing.T, url, index string) int64 {
	t.Helper()
	var raw struct {
		All struct {
			Primaries struct {
				Indexing struct {
					IndexTotal int64 `json:"index_total"`
				} `json:"indexing"`
			} `json:"primaries"`
		} `json:"_all"`
	}
	if err := setupClient(t, url).Do(context.Background(), i18n.Text("read indexing stats"), esclient.Request{Method: "GET", Path: "/" + index + "/_stats/indexing"}, &raw); err != nil {
		t.Fatal(err)
	}
	return raw.All.Primaries.Indexing.IndexTotal
}

// An Elasticsearch 7.17 index cannot be restored into OpenSearch 2.19; the reindex path creates it there with
// the source's mappings and shape, has OpenSearch pull the documents, follows the task and verifies by count.
// Judged from outside: the counts and the mapping are read from each cluster with a client of the test's own,
// the source's indexing stats show that nothing was written there, and the request went to the target.
func TestAnIndexOpenSearchCannotRestoreIsReindexedFromTheSource(t *testing.T) {
	env := envtest.Load(t)
	osURL := envtest.Extra(t, "opensearch")
	const index = "articles" // 3,000 documents in 2 shards, a nested field (testenv/seed)
	prefix := envtest.Unique("rx") + "-"
	p := steps.DefaultPlan()
	p.Source.URL, p.Target.URL = env.SourceURL, osURL
	p.Repository.SourceLocation, p.Repository.TargetLocation = "/nonexistent/rx", "/nonexistent/rx"
	p.Indices = []string{index}
	p.Restore.RenamePattern, p.Restore.RenameReplacement = "(.+)", prefix+"$1"
	p.Restore.IncludeAliases = false // the source's alias "content" may be another test's on the target
	var events []steps.Event
	e, err := steps.New(p, steps.Options{OnEvent: func(ev steps.Event) { events = append(events, ev) }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	src, dst, err := e.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	all, err := e.ListIndices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if need := steps.NeedsReindex(src, dst, steps.Select(all, p)); len(need) != 1 || need[0] != index {
		t.Fatalf("%s → %s: the reindex path should be needed for %s, got %v", src.Product(), dst.Product(), index, need)
	}
	dest := prefix + index
	t.Cleanup(func() { setupClient(t, osURL).DeleteIndices(context.Background(), []string{dest}) })
	before := indexingTotal(t, env.SourceURL, index)

	res, err := e.ReindexIndex(ctx, 0, index)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := setupClient(t, env.SourceURL).Count(ctx, index)
	b, _ := setupClient(t, osURL).Count(ctx, dest)
	if a != 3000 || b != a || !res.Verified || res.TargetDocs != b || res.Target != dest {
		t.Fatalf("source %d, target %d documents; result %+v", a, b, res)
	}
	if after := indexingTotal(t, env.SourceURL, index); after != before {
		t.Errorf("the source's index counted %d writes during the reindex", after-before)
	}
	// The copy has the source's mapping (the nested field) and shape (2 shards), and none of its pipelines or
	// lifecycle.
	var def map[string]struct {
		Settings map[string]any `json:"settings"`
		Mappings map[string]any `json:"mappings"`
	}
	if err := setupClient(t, osURL).Do(ctx, i18n.Text("read the copy"), esclient.Request{Method: "GET", Path: "/" + dest, Params: map[string][]string{"flat_settings": {"true"}}}, &def); err != nil {
		t.Fatal(err)
	}
	got := def[dest]
	if got.Settings["index.number_of_shards"] != "2" || !strings.Contains(fmt.Sprint(got.Mappings), "nested") {
		t.Errorf("the copy's definition: %v %v", got.Settings, got.Mappings)
	}
	// Progress came from the task API; the reindex request went to the target, as curl.
	var progress, curl bool
	for _, ev := range events {
		if ev.Phase == steps.PhaseReindex && ev.Kind == steps.KindProgress && ev.Total.Docs == 3000 {
			progress = true
		}
		if ev.Kind == steps.KindRequest && strings.HasPrefix(ev.Curl, "curl -sS -X POST '"+osURL+"/_reindex?wait_for_completion=false'") &&
			strings.Contains(ev.Curl, `"host":"`+env.SourceURL+`"`) {
			curl = true
		}
	}
	if !progress || !curl {
		t.Errorf("progress from the task API: %v; the reindex request as curl: %v", progress, curl)
	}

	// Run again: the copy exists, and nothing on the target is replaced.
	if _, err := e.ReindexIndex(ctx, 0, index); err == nil || !strings.Contains(err.Error(), "exists on the target") {
		t.Errorf("a second reindex into the existing copy: %v", err)
	}
}
