//go:build integration && record

package steps_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/testenv/envtest"
)

// TestRecordThrottledRunsForTheEstimate records the events of real throttled migrations for the estimator's
// test (estimate_test.go replays them with a fake clock). It is a tool, run by hand when the engine's events
// change: go test -tags integration,record -run TestRecordThrottled ./steps (with the test clusters running;
// ESM_RECORD_ESTIMATE names another directory than steps/testdata/estimate). The build tag keeps it out of
// make test: it is not a test. Each recording also keeps the estimate the engine showed live, whose error
// is a figure to report, never a timed assertion.
func TestRecordThrottledRunsForTheEstimate(t *testing.T) {
	dir := os.Getenv("ESM_RECORD_ESTIMATE")
	if dir == "" {
		dir = "steps/testdata/estimate"
	}
	if !filepath.IsAbs(dir) {
		wd, _ := os.Getwd()
		dir = filepath.Join(wd, "..", dir)
	}
	// Incompressible documents: Elasticsearch stores them at about their size.
	big := map[string]int{"estimate-a": 40, "estimate-b": 40, "estimate-c": 80}
	for name, mb := range big {
		loadRandomIndex(t, name, mb)
	}
	cases := []struct {
		name    string
		shared  bool
		indices []string
		batch   string
		snap    string
		rest    string
		copy    string
	}{
		{"copy-two-batches", false, []string{"estimate-a", "estimate-b"}, "45mb", "4mb", "4mb", ""},
		{"shared-restore-throttled", true, []string{"estimate-c"}, "100mb", "", "2mb", ""},
		{"copy-one-batch-all-throttled", false, []string{"estimate-a", "logs-2026.11.02"}, "100mb", "3mb", "3mb", ""},
		{"copy-three-batches", false, []string{"estimate-a", "estimate-b", "logs-2026.11.01", "logs-2026.11.02", "logs-2026.11.03", "articles"}, "24mb", "4mb", "4mb", ""},
	}
	only := os.Getenv("ESM_RECORD_ONLY")
	for _, c := range cases {
		if only != "" && !strings.Contains(only, c.name) {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			m := newMigration(t, c.shared, c.indices...)
			m.plan.BatchMaxSize = c.batch
			m.plan.Repository.MaxSnapshotBytesPerSec = c.snap
			m.plan.Repository.MaxRestoreBytesPerSec = c.rest
			m.plan.Copy.BandwidthLimit = c.copy
			m.plan.PollInterval = steps.Duration{Duration: time.Second}
			rep, err := m.run(steps.Options{AcceptWarnings: true})
			if err != nil || rep.Verified != len(c.indices) {
				t.Fatalf("migration: %v (%+v)", err, rep)
			}
			st, err := steps.ReadState(m.plan.StateFile)
			if err != nil {
				t.Fatal(err)
			}
			rec := steps.Recording{Name: c.name, Shared: c.shared, Hints: steps.HintsFor(m.plan, 1, 1)}
			for _, b := range st.Batches {
				rb := steps.RecordedBatch{Number: b.Number}
				for _, ix := range b.Indices {
					rb.Indices = append(rb.Indices, steps.RecordedIndex{Name: ix.Name, PrimaryBytes: ix.PrimaryBytes})
				}
				rec.Batches = append(rec.Batches, rb)
			}
			m.mu.Lock()
			rec.Events = append(rec.Events, m.events...)
			m.mu.Unlock()
			b, _ := json.MarshalIndent(rec, "", " ")
			if err := os.WriteFile(filepath.Join(dir, c.name+".json"), b, 0o644); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// loadRandomIndex creates index name on the source with about mb megabytes of incompressible documents, once.
func loadRandomIndex(t *testing.T, name string, mb int) {
	t.Helper()
	env := envtest.Load(t).SourceURL
	if resp, err := http.Head(env + "/" + name); err == nil && resp.StatusCode == 200 {
		return
	}
	req, _ := http.NewRequest(http.MethodPut, env+"/"+name, bytes.NewReader([]byte(`{"settings":{"number_of_shards":2,"number_of_replicas":0,"index.codec":"default"},"mappings":{"properties":{"blob":{"type":"keyword","index":false,"doc_values":false}}}}`)))
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("create %s: %v %v", name, err, resp)
	}
	const docKB = 4
	buf := make([]byte, docKB<<10*3/4)
	for sent := 0; sent < mb<<10; {
		var body bytes.Buffer
		for i := 0; i < 1000 && sent < mb<<10; i++ {
			_, _ = rand.Read(buf)
			fmt.Fprintf(&body, "{\"index\":{}}\n{\"blob\":%q}\n", base64.StdEncoding.EncodeToString(buf))
			sent += docKB
		}
		req, _ := http.NewRequest(http.MethodPost, env+"/"+name+"/_bulk", &body)
		req.Header.Set("Content-Type", "application/x-ndjson")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("bulk %s: %v %v", name, err, resp)
		}
		resp.Body.Close()
	}
	for _, u := range []string{"/_refresh", "/_flush"} {
		resp, err := http.Post(env+"/"+name+u, "application/json", nil)
		if err == nil {
			resp.Body.Close()
		}
	}
}
