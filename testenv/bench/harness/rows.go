package main

import (
	"fmt"
	"slices"
	"strings"
)

// Row is one line of a benchmark table: one way of doing something, started each time from the same reset state
// (no benchmark index on the target, no repository, empty shares, default cluster settings), timed as a whole and
// run --runs times in alternating order with the other rows. Rows are registered with register() in an init
// function, one file per family of rows (rows_migrate.go); testenv/bench/README.md says how to add one.
type Row struct {
	Key     string // stable identifier: the results' key, --only, another row's Floor
	Table   string // the key of the table it belongs to (see tables)
	Name    string // what the table says in its Method column; {reindex-size}, {dump-limit} and {slices} are replaced by the harness's flags
	Setting string // "defaults" or "tuned": which settings it runs with (the README says which row is which)
	Floor   string // the key of the row its wall time is divided by; empty for a floor itself
	Ours    bool   // esmigrate or a floor: a wrong result fails the benchmark instead of being reported in the row
	Notes   string // how it runs, shown under the table

	// Sizes it runs at (default, small, ci, large); empty: all. Runs, when set for a size, caps the number of
	// runs there (e.g. a row too slow to repeat at the large size), and the table says so.
	Sizes []string
	Runs  map[string]int

	// Data returns the indices the row moves, once before the first round (untimed). nil: the benchmark data set
	// (testenv/bench/gen). A row with data of its own creates it on the source here under its own names.
	Data func(h *harness) (*dataSet, error)
	// Needs says why the row cannot run on this machine ("" when it can): its row then reads "not measured".
	Needs func(h *harness) string
	// Prepare runs after the reset and before the clock starts: what an operator writes before starting
	// (a plan, index bodies, settings).
	Prepare func(h *harness, run *runEnv) error
	// Script is the timed part: a bash script run under /usr/bin/time -v with the variables of runEnv.Vars.
	Script string
	// Verify checks the result after the clock stopped; nil: every index of the row's data set holds on the
	// target the number of documents it has on the source.
	Verify func(h *harness, run *runEnv) (missing int64, where []string, err error)
}

// runEnv is what one run of a row sees: its own empty directory and the variables its script gets.
type runEnv struct {
	Dir  string     // the run's directory (scripts, logs, plans): work/<key>/run-<n>
	Data *dataSet   // the row's data set
	Vars []string   // SRC, DST (the clusters, directly), SHARES, W, ESM, ELASTICDUMP, INDICES, PATTERN, ...
	row  *Row       // the row
	res  *runResult // where the run's figures go
}

// table is one table of the results: rows compared with each other, like with like.
type table struct {
	Key, Title string
	Text       string // what the table compares, under its title
}

var (
	registry []*Row
	tables   = []table{
		{Key: "defaults", Title: "At the defaults",
			Text: "Elasticsearch's throttles at their defaults (40 MB/s for snapshots and for recoveries, restores included) and every tool as its documentation shows it."},
		{Key: "tuned", Title: "Tuned",
			Text: "Elasticsearch's snapshot and recovery throttles raised to 1 GB/s for the snapshot rows; the competitors with the settings their documentation recommends for speed."},
		{Key: "live", Title: "Live migration: the write freeze",
			Text: "The same indices migrated while an application writes to them (rows_live.go): the write freeze esmigrate measures at the cut-over (from the write block to the moment the writers can move to the target), against a full re-migration of the same data at the same settings. Throttles at their defaults."},
	}
)

// register adds rows to the benchmark. Keys must be unique; a row's Floor must be registered too (checked when
// the harness starts, so that a mistake fails at once).
func register(rows ...*Row) { registry = append(registry, rows...) }

// rowsFor returns the registered rows that run at this size, restricted to only (comma-separated keys) when set.
func rowsFor(size, only string) ([]*Row, error) {
	seen := map[string]bool{}
	for _, r := range registry {
		if seen[r.Key] {
			return nil, fmt.Errorf("row %q is registered twice", r.Key)
		}
		seen[r.Key] = true
		if tableOf(r.Table) == nil {
			return nil, fmt.Errorf("row %q names table %q, which is not in tables", r.Key, r.Table)
		}
	}
	var out []*Row
	for _, r := range registry {
		if r.Floor != "" && !seen[r.Floor] {
			return nil, fmt.Errorf("row %q is compared with %q, which is not registered", r.Key, r.Floor)
		}
		if len(r.Sizes) > 0 && !slices.Contains(r.Sizes, size) {
			continue
		}
		if only != "" && !slices.Contains(strings.Split(only, ","), r.Key) {
			continue
		}
		out = append(out, r)
	}
	if only != "" {
		for _, k := range strings.Split(only, ",") {
			if !seen[k] {
				return nil, fmt.Errorf("--only: no row %q (rows: %s)", k, strings.Join(keys(registry), ", "))
			}
		}
	}
	return out, nil
}

func keys(rows []*Row) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.Key)
	}
	return out
}

func tableOf(key string) *table {
	for i := range tables {
		if tables[i].Key == key {
			return &tables[i]
		}
	}
	return nil
}

// runsAt is how many times the row runs at this size.
func (r *Row) runsAt(size string, runs int) int {
	if n, ok := r.Runs[size]; ok && n < runs {
		return n
	}
	return runs
}

// expand puts the values of the harness's tuning flags into a row's name or notes.
func (h *harness) expand(s string) string {
	return strings.NewReplacer("{reindex-size}", fmt.Sprint(h.reindexSize), "{dump-limit}", fmt.Sprint(h.dumpLimit),
		"{slices}", fmt.Sprint(h.dumpSlices)).Replace(s)
}
