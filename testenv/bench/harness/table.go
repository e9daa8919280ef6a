package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/ui/components/indextable"
)

// The index picker on a real cluster of thousands of indices (issue #13, point 7): 5,000 indices take more than
// 15 minutes to create one by one on a runner, so make test has 1,000 and the benchmark loads the table from a
// real source of 5,000 (made as the scale rows make theirs: restores of a block of 40 under new names). What is
// timed is what the wizard's Indices screen waits for: steps.Engine.ListIndices (the listing and the top-level
// document counts, the requests chunked under the line limit), then the table built from the answer and a
// filter and a sort over it. Three runs; the median and the range. `make bench-picker` runs it alone, on a source
// with a 3 GB heap: 5,000 shards tripped the parent circuit breaker of the migration rows' 1 GB heap.

const tableIndices = 5000

type tableResults struct {
	Indices            int       `json:"indices"`
	Docs               int64     `json:"docs"`
	MakeSeconds        float64   `json:"make_seconds"`
	ListSeconds        []float64 `json:"list_seconds"`         // steps.Engine.ListIndices
	BuildMillis        []float64 `json:"build_millis"`         // indextable.New over the listed indices
	FilterMillis       []float64 `json:"filter_millis"`        // a filter keystroke that narrows to one day's indices
	SortMillis         []float64 `json:"sort_millis"`          // a sort by size
	NotMeasuredBecause string    `json:"not_measured_because"` // set when the section could not run
}

func (h *harness) runTableBench() tableResults {
	res := tableResults{}
	t0 := time.Now()
	h.logf("table: making %d indices on the source", tableIndices)
	d, err := makeScaleData(h, tableIndices)
	if err != nil {
		res.NotMeasuredBecause = err.Error()
		return res
	}
	res.MakeSeconds = time.Since(t0).Seconds()
	plan := steps.DefaultPlan()
	// A plan the engine accepts (the picker itself lists every index of the source, whatever the plan selects).
	plan.Source.URL, plan.Target.URL = h.srcURL, h.dstURL
	plan.Repository.SourceLocation = filepath.Join(h.shares, "source-repo")
	plan.Repository.TargetLocation = filepath.Join(h.shares, "target-repo")
	plan.Indices = []string{"scale-n5000-*"}
	eng, err := steps.New(plan, steps.Options{})
	if err != nil {
		res.NotMeasuredBecause = err.Error()
		return res
	}
	for run := 0; run < 3; run++ {
		t := time.Now()
		all, err := eng.ListIndices(context.Background())
		if err != nil {
			res.NotMeasuredBecause = "steps.Engine.ListIndices: " + err.Error()
			return res
		}
		res.ListSeconds = append(res.ListSeconds, time.Since(t).Seconds())
		var mine []esclient.Index
		var docs int64
		for _, ix := range all {
			if slices.Contains(d.Indices, ix.Name) {
				mine = append(mine, ix)
				docs += ix.Docs
			}
		}
		if len(mine) != tableIndices || docs != d.Docs {
			res.NotMeasuredBecause = fmt.Sprintf("the listing shows %d of the %d indices with %d of their %d documents", len(mine), tableIndices, docs, d.Docs)
			return res
		}
		res.Indices, res.Docs = len(all), docs
		t = time.Now()
		tab := indextable.New(all, func(esclient.Index) bool { return false })
		res.BuildMillis = append(res.BuildMillis, ms(time.Since(t)))
		t = time.Now()
		tab.SetFilter("scale-n5000-007")
		res.FilterMillis = append(res.FilterMillis, ms(time.Since(t)))
		tab.SetFilter("")
		t = time.Now()
		tab.SortBy(indextable.ColSize, true)
		res.SortMillis = append(res.SortMillis, ms(time.Since(t)))
	}
	h.logf("table: %d indices listed in %.2f s (median of 3), the table built in %.1f ms, filtered in %.1f ms, sorted in %.1f ms",
		res.Indices, median(res.ListSeconds), median(res.BuildMillis), median(res.FilterMillis), median(res.SortMillis))
	return res
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func median(v []float64) float64 { return statOf(v).Median }

// tableMarkdown is the section's paragraph of the results file.
func tableMarkdown(r tableResults) string {
	if r.NotMeasuredBecause != "" {
		return fmt.Sprintf("Index picker on a real cluster of %s indices: not measured: %s.\n\n", thousands(tableIndices), r.NotMeasuredBecause)
	}
	if len(r.ListSeconds) == 0 {
		return ""
	}
	rng := func(v []float64, f string) string {
		s := statOf(v)
		return fmt.Sprintf(f+" ("+f+"–"+f+")", s.Median, s.Min, s.Max)
	}
	return fmt.Sprintf("Index picker on a real source of %s indices (%s of them made for this, %s documents, in %.0f s; 3 runs, median and range): "+
		"`steps.Engine.ListIndices` (what the Indices screen waits for: the listing and the top-level document counts) %s s; "+
		"the table built from the answer %s ms, a filter keystroke %s ms, a sort by size %s ms.\n\n",
		thousands(r.Indices), thousands(tableIndices), thousands(int(r.Docs)), r.MakeSeconds,
		rng(r.ListSeconds, "%.2f"), rng(r.BuildMillis, "%.1f"), rng(r.FilterMillis, "%.1f"), rng(r.SortMillis, "%.1f"))
}
