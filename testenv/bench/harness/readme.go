package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The benchmark tables of README.md are written from the results files by this code only, between these two
// markers; `go test ./testenv/bench/harness` (part of make test) fails when README.md differs from what the
// results files give.
const (
	readmeBegin = "<!-- bench:begin: generated from testenv/bench/results/latest*.json by `go run ./testenv/bench/harness --readme`; do not edit by hand -->"
	readmeEnd   = "<!-- bench:end -->"
)

// publishedSizes are the sizes the README shows, in its order, with the command that measures each.
var publishedSizes = []struct{ size, title, command string }{
	{"default", "1 GB", "make bench"},
	{"small", "Small (50,000 documents)", "make bench-small"},
	{"large", "10 GB", "make bench-large"},
}

// loadResults reads a published results file and checks that it is one whole run at one commit.
func loadResults(path string) (results, error) {
	var r results
	b, err := os.ReadFile(path)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("%s: %w", path, err)
	}
	if r.Schema != schema {
		return r, fmt.Errorf("%s has schema %d, the README is written from schema %d: measure again (%s)", path, r.Schema, schema, "make bench")
	}
	if r.Partial != "" {
		return r, fmt.Errorf("%s is a partial run (%s): the README quotes whole runs only", path, r.Partial)
	}
	for _, x := range r.Rows {
		if x.NotMeasuredBecause == "" && x.Commit != r.Commit {
			return r, fmt.Errorf("%s: row %s was measured at commit %s, the file at %s: one run at one commit only", path, x.Key, x.Commit, r.Commit)
		}
	}
	return r, nil
}

// readmeTables is what goes between the markers.
func readmeTables(resultsDir string) (string, error) {
	var b strings.Builder
	p := func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }
	p("%s\n\n", readmeBegin)
	for _, s := range publishedSizes {
		path := filepath.Join(resultsDir, resultName(s.size)+".json")
		p("#### %s (`%s`)\n\n", s.title, s.command)
		r, err := loadResults(path)
		if errors.Is(err, os.ErrNotExist) {
			p("Not measured yet: no `testenv/bench/results/%s.json`.\n\n", resultName(s.size))
			continue
		}
		if err != nil {
			return "", err
		}
		p("From [`testenv/bench/results/%s.md`](testenv/bench/results/%s.md): %s\n\n%s\n\n", resultName(s.size), resultName(s.size), header(r), dataLine(r))
		p("%s", migrationTables(r, "#####"))
		for _, x := range r.Poll {
			if !strings.HasPrefix(x.Source, "esmigrate") {
				continue
			}
			p("- Polling, %s of %d shards (%s): %d requests in %.1f s, **%.2f requests per %.0f s interval of wall time** (%s).\n",
				x.Phase, x.Shards, x.Cluster, x.Requests, x.Seconds, x.RequestsPerInterval, x.IntervalSeconds, x.Calls)
		}
		var esm float64
		for _, c := range r.Copy {
			if c.Repository == "benchmark data" && c.Run == "first" {
				if strings.HasPrefix(c.Tool, "esmigrate") {
					esm = c.Seconds
				} else if c.Tool == "cp -a" && esm > 0 {
					p("- Repository copy of the benchmark data (%d files, %s, one run): esmigrate %.2f s (fsync of every file), `cp -a` %.2f s.\n", c.Files, mb(c.Bytes), esm, c.Seconds)
				}
			}
			if c.Run == "second" && strings.HasPrefix(c.Tool, "esmigrate") && c.Repository != "benchmark data" {
				p("- Repository copy, second run with nothing changed over %s files: %.2f s (one run).\n", num(int64(c.Files)), c.Seconds)
			}
		}
		if t := r.Table; len(t.ListSeconds) > 0 && t.NotMeasuredBecause == "" {
			p("- Index picker on a real source of %s indices: listed with their document counts in %.2f s (median of 3), the table built in %.1f ms, a filter keystroke %.1f ms.\n",
				num(int64(t.Indices)), statOf(t.ListSeconds).Median, statOf(t.BuildMillis).Median, statOf(t.FilterMillis).Median)
		}
		p("\n")
	}
	p("%s\n", readmeEnd)
	return b.String(), nil
}

// readmeWithTables returns README.md with its tables replaced by those the results give.
func readmeWithTables(root string) (current, want string, err error) {
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		return "", "", err
	}
	current = string(b)
	i, j := strings.Index(current, readmeBegin), strings.Index(current, readmeEnd)
	if i < 0 || j < i {
		return current, "", fmt.Errorf("README.md has no %q … %q section", readmeBegin, readmeEnd)
	}
	tables, err := readmeTables(filepath.Join(root, "testenv", "bench", "results"))
	if err != nil {
		return current, "", err
	}
	return current, current[:i] + tables + current[j+len(readmeEnd)+1:], nil
}

// writeReadme rewrites README.md's tables from the results files.
func writeReadme(root string) error {
	cur, want, err := readmeWithTables(root)
	if err != nil {
		return err
	}
	if cur == want {
		return nil
	}
	return os.WriteFile(filepath.Join(root, "README.md"), []byte(want), 0o644)
}
