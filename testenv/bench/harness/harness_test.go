package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The README's benchmark tables are what the results files say, nothing else: change either by hand and this
// fails (make test runs it with the unit tests).
func TestREADMEBenchmarkTablesAreTheResultsFiles(t *testing.T) {
	cur, want, err := readmeWithTables(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if cur != want {
		c, w := strings.Split(cur, "\n"), strings.Split(want, "\n")
		for i := 0; i < len(c) && i < len(w); i++ {
			if c[i] != w[i] {
				t.Fatalf("README.md's benchmark tables differ from testenv/bench/results/*.json at line %d:\n README:  %s\n results: %s\nrun `go run ./testenv/bench/harness --readme` after measuring (make bench), never edit the tables by hand",
					i+1, c[i], w[i])
			}
		}
		t.Fatalf("README.md's benchmark tables differ from testenv/bench/results/*.json in length: run `go run ./testenv/bench/harness --readme`")
	}
}

func TestREADMECheckNoticesAnEditedFigure(t *testing.T) {
	root := t.TempDir()
	res := filepath.Join(root, "testenv", "bench", "results")
	os.MkdirAll(res, 0o755)
	r := results{Schema: schema, Commit: "abc1234", Size: "small", Runs: 3, Rows: []rowResult{
		{Key: "bare", Table: "defaults", Name: "floor", Commit: "abc1234", Docs: 100, Runs: []runResult{{Round: 1, WallSeconds: 2}}},
		{Key: "esmigrate-separate", Table: "defaults", Name: "ours", Floor: "bare", Commit: "abc1234", Docs: 100, Runs: []runResult{{Round: 1, WallSeconds: 3}}},
	}}
	summarize(r.Rows)
	if err := writeJSON(filepath.Join(res, "latest-small.json"), r); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(root, "README.md"), []byte("# x\n\n"+readmeBegin+"\n"+readmeEnd+"\n\nafter\n"), 0o644)
	if err := writeReadme(root); err != nil {
		t.Fatal(err)
	}
	cur, want, err := readmeWithTables(root)
	if err != nil || cur != want {
		t.Fatalf("a README just written must match: %v", err)
	}
	if !strings.Contains(cur, "1.50× (1)") || !strings.HasSuffix(cur, readmeEnd+"\n\nafter\n") {
		t.Fatalf("README tables:\n%s", cur)
	}
	os.WriteFile(filepath.Join(root, "README.md"), []byte(strings.Replace(cur, "1.50×", "1.05×", 1)), 0o644)
	if cur, want, _ := readmeWithTables(root); cur == want {
		t.Fatal("an edited ratio went unnoticed")
	}

	r.Rows[1].Commit = "fff0000" // a row from another commit merged in
	writeJSON(filepath.Join(res, "latest-small.json"), r)
	if _, _, err := readmeWithTables(root); err == nil || !strings.Contains(err.Error(), "one run at one commit") {
		t.Fatalf("results mixing commits must be refused, got %v", err)
	}
}

// Requests per interval are counted against wall time: an engine that polls four times a second shows 4, not the
// 1.00 that dividing by the number of polls gives whatever it does.
func TestPollingIsCountedPerIntervalOfWallTime(t *testing.T) {
	t0 := time.Unix(1000, 0)
	evs := []event{{At: t0, Method: "PUT", Path: "/_snapshot/pollesm/snap-1", Endpoint: "PUT _snapshot"}}
	for i := 1; i <= 40; i++ { // 10 s of polls every 250 ms
		evs = append(evs, event{At: t0.Add(time.Duration(i) * 250 * time.Millisecond), Method: "GET", Path: "/_snapshot/pollesm/_status", Endpoint: "GET _snapshot/_status"})
	}
	r := engineStats(evs, "snapshot", 10, "source", snapshotStart, "GET /_snapshot/pollesm/_status", time.Second)
	if r.Polls != 40 || r.Requests != 40 || r.Seconds != 10 {
		t.Fatalf("polls %d, requests %d, seconds %v", r.Polls, r.Requests, r.Seconds)
	}
	if r.RequestsPerInterval != 4 || r.RequestsPerPoll != 1 {
		t.Fatalf("requests per interval of wall time %.2f (want 4), per poll %.2f", r.RequestsPerInterval, r.RequestsPerPoll)
	}
}

func TestRatiosAreMediansOverTheFloorAndRangesPerRound(t *testing.T) {
	rows := []rowResult{
		{Key: "bare", Runs: []runResult{{Round: 1, WallSeconds: 10}, {Round: 2, WallSeconds: 12}, {Round: 3, WallSeconds: 11}}},
		{Key: "esm", Floor: "bare", Runs: []runResult{{Round: 1, WallSeconds: 11}, {Round: 2, WallSeconds: 12}, {Round: 3, WallSeconds: 99, Error: "x"}}},
	}
	summarize(rows)
	if rows[0].Wall != (stat{Median: 11, Min: 10, Max: 12}) {
		t.Fatalf("floor %+v", rows[0].Wall)
	}
	if rows[1].Wall.Median != 11.5 || rows[1].Errors != 1 {
		t.Fatalf("a failed run must not count: %+v", rows[1])
	}
	if rows[1].Ratio.Median != (1.1+1)/2 || rows[1].Ratio.Min != 1 || rows[1].Ratio.Max != 1.1 { // rounds 1 and 2: 11/10 and 12/12
		t.Fatalf("ratio %+v", rows[1].Ratio)
	}
}

func TestEveryRowHasATableAndAFloorThatExist(t *testing.T) {
	for _, size := range []string{"default", "small", "ci", "large"} {
		rows, err := rowsFor(size, "")
		if err != nil {
			t.Fatal(err)
		}
		have := map[string]bool{}
		for _, r := range rows {
			have[r.Key] = true
		}
		for _, r := range rows {
			if r.Floor != "" && !have[r.Floor] {
				t.Errorf("%s: row %s runs without its floor %s", size, r.Key, r.Floor)
			}
			if r.Setting != "defaults" && r.Setting != "tuned" {
				t.Errorf("row %s: setting %q", r.Key, r.Setting)
			}
		}
	}
	if _, err := rowsFor("default", "nope"); err == nil {
		t.Fatal("--only with an unknown row must fail")
	}
}

// A contender that lost documents is reported with what its own logs say.
func TestLossCauseComesFromTheContendersLogs(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "run.sh"), []byte("grep -q failures || exit 1\n"), 0o644) // the harness's, not the tool's
	os.WriteFile(filepath.Join(dir, "bench-a.log"), []byte(strings.Repeat("Tue, 01 Dec 2026 10:00:01 GMT | sent 100 objects to destination elasticsearch, wrote 100\n", 3)+
		"Tue, 01 Dec 2026 10:00:02 GMT | Error Emitted => {\"error\":{\"type\":\"search_phase_execution_exception\"},\"status\":400}\n"+
		"Tue, 01 Dec 2026 10:00:03 GMT | Error Emitted => {\"error\":{\"type\":\"search_phase_execution_exception\"},\"status\":400}\n"), 0o644)
	got := lossCause(dir)
	if len(got) != 1 || !strings.Contains(got[0], "search_phase_execution_exception") || !strings.Contains(got[0], "bench-a.log, ×2") {
		t.Fatalf("%q", got)
	}
	clean := t.TempDir()
	os.WriteFile(filepath.Join(clean, "x.log"), []byte("sent 100 objects\n"), 0o644)
	if got := lossCause(clean); len(got) != 1 || !regexp.MustCompile(`name no error`).MatchString(got[0]) {
		t.Fatalf("%q", got)
	}
}
