package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Issue 12, point 4: each competitor runs at its defaults and tuned as its documentation recommends. The tuned
// rows must really carry those settings into what they run, not only in their names.
func TestTunedCompetitorsRunWithTheirSpeedSettings(t *testing.T) {
	rows, err := rowsFor("default", "")
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]*Row{}
	for _, r := range rows {
		by[r.Key] = r
	}
	// A source that answers the mapping and settings reads the tuned _reindex's Prepare makes.
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ix := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")[0]
		switch {
		case strings.HasSuffix(r.URL.Path, "/_mapping"):
			json.NewEncoder(w).Encode(map[string]any{ix: map[string]any{"mappings": map[string]any{}}})
		case strings.HasSuffix(r.URL.Path, "/_settings"):
			json.NewEncoder(w).Encode(map[string]any{ix: map[string]any{"settings": map[string]any{"index": map[string]any{"number_of_shards": "2", "number_of_replicas": "0"}}}})
		default:
			http.Error(w, "unexpected", http.StatusNotFound)
		}
	}))
	defer src.Close()
	h := &harness{src: newAdmin(src.URL), reindexSize: 5000, dumpLimit: 1000, dumpSlices: 2}
	prepared := func(key string) (vars string, dir string) {
		r := by[key]
		if r == nil {
			t.Fatalf("no row %q", key)
		}
		run := &runEnv{Dir: t.TempDir(), Data: &dataSet{Indices: []string{"logs-1"}}, row: r}
		if r.Prepare != nil {
			if err := r.Prepare(h, run); err != nil {
				t.Fatalf("%s: prepare: %v", key, err)
			}
		}
		return strings.Join(run.Vars, "\n"), run.Dir
	}

	vars, _ := prepared("elasticdump-tuned")
	for _, want := range []string{"--noRefresh", "--limit 1000", "SLICES=2"} {
		if !strings.Contains(vars, want) {
			t.Errorf("elasticdump tuned runs without %s: %s", want, vars)
		}
	}
	if vars, _ := prepared("elasticdump"); strings.Contains(vars, "--noRefresh") || strings.Contains(vars, "--limit") {
		t.Errorf("elasticdump at its defaults carries a tuning flag: %s", vars)
	}

	vars, dir := prepared("reindex-tuned")
	if !strings.Contains(vars, "REINDEX_SIZE=5000") || !strings.Contains(by["reindex-tuned"].Script, `"size":'"$REINDEX_SIZE"'`) {
		t.Errorf("tuned _reindex runs without its size: %s", vars)
	}
	var create struct {
		Settings map[string]any `json:"settings"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "logs-1.json"))
	if err == nil {
		err = json.Unmarshal(b, &create)
	}
	if err != nil {
		t.Fatal(err)
	}
	if create.Settings["refresh_interval"] != "-1" || create.Settings["number_of_replicas"] != float64(0) {
		t.Errorf("tuned _reindex creates its target without refresh_interval -1 and 0 replicas: %v", create.Settings)
	}
	if !strings.Contains(by["reindex-tuned"].Script, ".after.json") {
		t.Errorf("tuned _reindex does not put the settings back after the copy")
	}
}

// Issue 12, point 1: no proxy in the data path. Every row's script reaches the clusters only through $SRC and
// $DST, and the runner sets those to the clusters' own URLs (the harness's --source and --target).
func TestContendersTalkToTheClustersDirectly(t *testing.T) {
	rows, err := rowsFor("default", "")
	if err != nil {
		t.Fatal(err)
	}
	literal := regexp.MustCompile(`https?://[^$"' ]`)
	for _, r := range rows {
		if m := literal.FindString(r.Script); m != "" {
			t.Errorf("row %s addresses a URL of its own (%q...), not $SRC/$DST", r.Key, m)
		}
	}
	h := &harness{srcURL: "http://127.0.0.1:1", dstURL: "http://127.0.0.1:2"}
	vars := strings.Join(h.baseVars(), "\n")
	if !strings.Contains(vars, "SRC=http://127.0.0.1:1\n") || !strings.Contains(vars, "DST=http://127.0.0.1:2\n") {
		t.Errorf("the rows' SRC and DST are not the clusters' URLs: %s", vars)
	}
}
