//go:build integration

package steps_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/testenv/envtest"
)

// The lifecycle pre-flight on real clusters. No runner has ILM, and index.lifecycle.name is an unknown setting on
// all of them, so no runner can hold an index that names a policy: the decisions themselves are tested on
// recorded ILM answers (lifecycle_test.go). Here: the remedy the check offers, a restore whose
// ignore_index_settings names the lifecycle settings, really restores on a runner; and the check's reads on
// real clusters.

func TestARestoreWithoutTheLifecycleSettingsWorksOnARunner(t *testing.T) {
	env := envtest.Load(t)
	id := envtest.Unique("lc")
	index := id + "-src"
	setup := setupClient(t, env.SourceURL)
	// index.refresh_interval stands in for the lifecycle settings no runner can hold: it shows that the restore
	// drops what ignore_index_settings names.
	mustDo(t, setup, esclient.Request{Method: "PUT", Path: "/" + index, Body: map[string]any{"settings": map[string]any{"index": map[string]any{
		"number_of_shards": 1, "number_of_replicas": 0, "refresh_interval": "7s"}}}})
	t.Cleanup(func() { setup.DeleteIndices(context.Background(), []string{index}) })
	mustDo(t, setup, esclient.Request{Method: "POST", Path: "/" + index + "/_doc", Params: map[string][]string{"refresh": {"true"}},
		Body: map[string]any{"msg": "kept"}})

	m := newMigration(t, true, index)
	m.plan.Restore.IgnoreIndexSettings = append(append([]string{}, steps.LifecycleSettings...), "index.refresh_interval")
	if _, err := m.run(steps.Options{AcceptWarnings: true}); err != nil {
		t.Fatal(err)
	}
	m.countsEqual(index)
	var restore []string
	for _, ev := range m.requests(steps.PhaseRestore) {
		if strings.Contains(ev.Curl, "/_restore") {
			restore = append(restore, ev.Curl)
		}
	}
	want := `"ignore_index_settings":"` + strings.Join(steps.LifecycleSettings, ",") + `,index.refresh_interval"`
	if len(restore) != 1 || !strings.Contains(restore[0], want) {
		t.Fatalf("the restore request should carry %s: %v", want, restore)
	}
	target := steps.TargetName(index, m.plan.Restore)
	d, err := m.dst.IndexDetails(context.Background(), []string{target})
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := d[target].Settings["index.refresh_interval"]; ok {
		t.Errorf("the restored index kept index.refresh_interval %q, which ignore_index_settings names", got)
	}
	for _, s := range steps.LifecycleSettings {
		if _, ok := d[target].Settings[s]; ok {
			t.Errorf("the restored index has %s", s)
		}
	}
	s, _ := m.src.IndexDetails(context.Background(), []string{index})
	if s[index].Settings["index.refresh_interval"] != "7s" {
		t.Errorf("the source index changed: %v", s[index].Settings["index.refresh_interval"])
	}
}

func TestTheLifecycleCheckReadsOnlyWhatItNeedsOnRealClusters(t *testing.T) {
	env := envtest.Load(t)
	for _, target := range []string{env.TargetURL, envtest.Extra(t, "opensearch")} {
		var mu sync.Mutex
		sent := map[string][]string{}
		wire := func(role string) http.RoundTripper {
			return roundTripper(func(r *http.Request) (*http.Response, error) {
				mu.Lock()
				sent[role] = append(sent[role], r.Method+" "+r.URL.Path)
				mu.Unlock()
				return http.DefaultTransport.RoundTrip(r)
			})
		}
		p := steps.DefaultPlan()
		p.Source.URL, p.Target.URL = env.SourceURL, target
		p.Repository.SourceLocation, p.Repository.TargetLocation = "/nonexistent/lc", "/nonexistent/lc"
		p.Indices = []string{"logs-*", "articles"}
		e, err := steps.New(p, steps.Options{SourceTransport: wire("source"), TargetTransport: wire("target")})
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
		if len(sel.Indices) < 4 {
			t.Fatalf("selection: %+v", sel)
		}
		mu.Lock()
		sent = map[string][]string{}
		mu.Unlock()
		checks := e.LifecycleChecks(ctx, src, dst, sel, nil)
		if len(checks) != 1 || checks[0].Status != steps.OK || checks[0].Evidence != "no selected index has index.lifecycle.name" {
			t.Errorf("%s: %+v", dst.Info.Product(), checks)
		}
		// The seed indices name no policy: the check reads their settings and asks the target nothing.
		if len(sent["target"]) != 0 || len(sent["source"]) == 0 {
			t.Errorf("requests: %v", sent)
		}
		for _, s := range sent["source"] {
			if !strings.HasPrefix(s, "GET ") || !strings.Contains(s, "/_settings/index.lifecycle.") {
				t.Errorf("the lifecycle check sent %s to the source", s)
			}
		}
	}
}
