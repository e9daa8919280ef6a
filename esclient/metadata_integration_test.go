//go:build integration

package esclient_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/i18n"
	"github.com/esmigrate/esmigrate/testenv/envtest"
)

// What each runner has and takes of the metadata kinds, checked on it (testenv/README.md and issue #16 item 5 say
// the same): templates everywhere; pipelines with processors and stored scripts on 7.10 and OpenSearch only; no
// ILM anywhere, no ISM on the OpenSearch runner.

type runnerCase struct {
	name, url string
	// takesProcessors: a pipeline with a set processor, and a painless stored script.
	takesProcessors bool
}

func runners(t *testing.T) []runnerCase {
	env := envtest.Load(t)
	return []runnerCase{
		{"7.10", envtest.Extra(t, "legacy"), true},
		{"7.17", env.TargetURL, false},
		{"8.19", envtest.Extra(t, "next"), false},
		{"OpenSearch 2.19", envtest.Extra(t, "opensearch"), true},
	}
}

func TestEachRunnerListsItsMetadataAndSaysWhatItHasNot(t *testing.T) {
	for _, r := range runners(t) {
		t.Run(r.name, func(t *testing.T) {
			// Read as a source reads: through the guard.
			c, err := esclient.New(esclient.Config{Role: "source", URL: r.url, ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			info, err := c.Info(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			l, err := c.Metadata(ctx(t), info.Distribution)
			if err != nil {
				t.Fatalf("listing the metadata of %s: %v", info.Product(), err)
			}
			for _, k := range []esclient.MetaKind{esclient.MetaLegacyTemplate, esclient.MetaIndexTemplate, esclient.MetaComponentTemplate,
				esclient.MetaPipeline, esclient.MetaStoredScript} {
				if why, ok := l.Unavailable[k]; ok {
					t.Errorf("%s should have %s: %s", info.Product(), k, why)
				}
			}
			ilm, ism := l.Unavailable[esclient.MetaILMPolicy].String(), l.Unavailable[esclient.MetaISMPolicy].String()
			if info.Distribution == esclient.OpenSearch {
				if !strings.Contains(ilm, "OpenSearch has no ILM") || !strings.Contains(ism, "answered 400 (no handler found for uri [/_plugins/_ism/policies]") {
					t.Errorf("OpenSearch runner: ilm %q, ism %q", ilm, ism)
				}
			} else if !strings.Contains(ilm, "GET /_ilm/policy answered 405 (Incorrect HTTP method for uri [/_ilm/policy]") {
				t.Errorf("%s runner: ilm %q", info.Product(), ilm)
			}
			// The target-side reads of the lifecycle check: no ILM status either.
			dst, _ := esclient.New(esclient.Config{Role: "target", URL: r.url})
			_, err = dst.ILMStatus(ctx(t))
			var na *esclient.UnavailableError
			if !errors.As(err, &na) {
				t.Errorf("ILM status on %s: %v (want: not available)", info.Product(), err)
			}
			// ILM explain of an index that exists: Elasticsearch 7 without x-pack reads it as a document, 8.19 and
			// OpenSearch have no handler.
			index := envtest.Unique("esc-meta-explain")
			if err := dst.Do(ctx(t), i18n.Text("create"), esclient.Request{Method: "PUT", Path: "/" + index,
				Body: map[string]any{"settings": map[string]any{"number_of_shards": 1, "number_of_replicas": 0}}}, nil); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { dst.DeleteIndices(context.Background(), []string{index}) })
			_, err = c.ExplainLifecycle(ctx(t), []string{index})
			if !errors.As(err, &na) {
				t.Errorf("ILM explain on %s: %v (want: not available)", info.Product(), err)
			}
			// An index that does not exist is an error, not a missing API.
			if _, err = c.ExplainLifecycle(ctx(t), []string{index + "-none"}); info.Version.Major == 7 && (err == nil || errors.As(err, &na)) {
				t.Errorf("ILM explain of a missing index on %s: %v (want: index_not_found_exception)", info.Product(), err)
			}
		})
	}
}

func TestEachRunnerTakesOrRefusesPipelinesWithProcessorsAndScripts(t *testing.T) {
	for _, r := range runners(t) {
		t.Run(r.name, func(t *testing.T) {
			c, err := esclient.New(esclient.Config{Role: "target", URL: r.url})
			if err != nil {
				t.Fatal(err)
			}
			id := envtest.Unique("esc-meta")
			pipe := esclient.MetaItem{Kind: esclient.MetaPipeline, Name: id + "-p", Body: map[string]any{
				"processors": []any{map[string]any{"set": map[string]any{"field": "a", "value": "b"}}}}}
			empty := esclient.MetaItem{Kind: esclient.MetaPipeline, Name: id + "-e", Body: map[string]any{"processors": []any{}}}
			script := esclient.MetaItem{Kind: esclient.MetaStoredScript, Name: id + "-s", Body: map[string]any{"script": map[string]any{
				"lang": "painless", "source": "ctx.n = 1"}}}
			t.Cleanup(func() {
				for _, it := range []esclient.MetaItem{pipe, empty, script} {
					c.Do(context.Background(), i18n.Text("clean up"), esclient.DeleteMetaRequest(it.Kind, it.Name), nil)
				}
			})
			if err := c.PutMeta(ctx(t), empty, false, nil); err != nil {
				t.Errorf("an empty pipeline: %v", err)
			}
			errP := c.PutMeta(ctx(t), pipe, false, nil)
			errS := c.PutMeta(ctx(t), script, false, nil)
			if r.takesProcessors {
				if errP != nil || errS != nil {
					t.Errorf("pipeline %v, script %v", errP, errS)
				}
				items, err := c.MetaItems(ctx(t), esclient.MetaStoredScript)
				found := false
				for _, it := range items {
					found = found || it.Name == script.Name
				}
				if err != nil || !found {
					t.Errorf("the stored script is listed from the cluster state: %v %v", err, items)
				}
				return
			}
			if esclient.StatusOf(errP) != 400 || !strings.Contains(errP.Error(), "No processor type exists with name [set]") {
				t.Errorf("pipeline: %v", errP)
			}
			if esclient.StatusOf(errS) != 400 || !strings.Contains(errS.Error(), "unsupported lang [painless]") {
				t.Errorf("script: %v", errS)
			}
		})
	}
}
