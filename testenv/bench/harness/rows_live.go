package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/esmigrate/esmigrate/steps"
)

// The live migration row (issue #15): the benchmark data migrated while an application writes to it. A writer
// process (testenv/writer) indexes, updates and deletes documents from the start of the first pass, at a rate
// that changes about 1% of the documents during it, and goes on writing through the catch-up rounds until the
// cut-over's write block refuses its writes. Then `esmigrate catch-up` (rounds until the next is estimated under
// the default 30 s threshold) and `esmigrate cutover` (the block, the last round, verification by sequence
// numbers; content verification after the freeze). The figure that matters is the write freeze esmigrate
// measures (from the block request to the moment the writers could move), against the time of a full
// re-migration: the esmigrate-separate row of the same size (the same data, the same settings, no writer).
//
// The row writes to its own copy of the benchmark indices (live-*), cloned anew from bench-* before every run
// (untimed), so that the other rows' data never changes.

// liveChangeShare is the part of the documents the writer changes during the first pass.
const liveChangeShare = 0.01

// liveFirstPassMBps is the end-to-end pace of a first pass at the defaults measured on the 2-core machine
// (esmigrate-separate at 1 GB: 18.4 MB/s), to give the writer its rate before the first pass is timed.
const liveFirstPassMBps = 18.4

func init() {
	register(&Row{Key: "esmigrate-live", Table: "live", Setting: "defaults", Floor: "esmigrate-separate", Ours: true,
		Name:  "esmigrate live: first pass while a writer changes documents (rate aimed at 1% of them), catch-up rounds, cut-over",
		Notes: "a writer process indexes, updates and deletes documents of a copy of the benchmark indices from the start, at a rate set to change about 1% of them during a first pass at 18.4 MB/s (the table shows the share it changed), from the moment it writes, and goes on until the block refuses its writes; `esmigrate run`, `esmigrate catch-up` (threshold 30 s), `esmigrate cutover` (content verification after the freeze); throttles at their defaults",
		Sizes: []string{"default", "small", "ci"},
		Needs: func(h *harness) string {
			if h.writer == "" {
				return "the writer (testenv/writer) was not built (run.sh builds it)"
			}
			return ""
		},
		Data:    liveData,
		Prepare: prepareLive,
		Script:  liveScript,
		Verify:  verifyLive,
	})
}

// liveName is the live copy of a benchmark index.
func liveName(ix string) string { return "live-" + strings.TrimPrefix(ix, "bench-") }

// liveData is the benchmark data set under the live copies' names (cloned before each run).
func liveData(h *harness) (*dataSet, error) {
	d := &dataSet{Pattern: "live-*", Docs: h.data.Docs, StoreBytes: h.data.StoreBytes, PerIndex: map[string]int64{}}
	for _, ix := range h.data.Indices {
		d.Indices = append(d.Indices, liveName(ix))
		d.PerIndex[liveName(ix)] = h.data.PerIndex[ix]
	}
	return d, nil
}

// prepareLive clones the benchmark indices into fresh live copies on the source (a clone links the same
// segment files: seconds at any size), writes the plan, and gives the writer its rate.
func prepareLive(h *harness, run *runEnv) error {
	if err := h.src.deleteIndices(run.Data.Indices); err != nil {
		return err
	}
	// A clone needs a write-blocked source index: the harness's own data, for the moment of the clone.
	block := func(on bool) error {
		var v any
		if on {
			v = true
		}
		return h.src.call("PUT", "/"+strings.Join(h.data.Indices, ",")+"/_settings", map[string]any{"index.blocks.write": v}, nil)
	}
	if err := block(true); err != nil {
		return err
	}
	// A clone takes number_of_replicas from its request (1 when not given), not from its source: give it the
	// source index's own, so that the copy is as the benchmark data (one node: no replica).
	var replicas map[string]struct {
		Settings map[string]string `json:"settings"`
	}
	if err := h.src.call("GET", "/"+strings.Join(h.data.Indices, ",")+"/_settings/index.number_of_replicas?flat_settings=true", nil, &replicas); err != nil {
		return err
	}
	for _, ix := range h.data.Indices {
		body := map[string]any{"settings": map[string]any{"index.number_of_replicas": replicas[ix].Settings["index.number_of_replicas"]}}
		if err := h.src.call("POST", "/"+ix+"/_clone/"+liveName(ix)+"?wait_for_active_shards=all", body, nil); err != nil {
			block(false)
			return err
		}
	}
	if err := block(false); err != nil {
		return err
	}
	// The clones inherit the block: the application writes to them.
	if err := h.src.call("PUT", "/"+strings.Join(run.Data.Indices, ",")+"/_settings", map[string]any{"index.blocks.write": nil}, nil); err != nil {
		return err
	}
	if err := h.src.call("GET", "/_cluster/health/"+strings.Join(run.Data.Indices, ",")+"?wait_for_status=green&timeout=120s", nil, nil); err != nil {
		return err
	}
	if err := esmPlan(false, false)(h, run); err != nil {
		return err
	}
	var info struct {
		ClusterName string `json:"cluster_name"`
	}
	if err := h.src.call("GET", "/", nil, &info); err != nil {
		return err
	}
	expected := float64(run.Data.StoreBytes)/1e6/liveFirstPassMBps + 3
	rate := max(float64(run.Data.Docs)*liveChangeShare/expected, 5)
	run.Vars = append(run.Vars, "WRITER="+h.writer, fmt.Sprintf("RATE=%.0f", rate), "SOURCE_NAME="+info.ClusterName,
		"LIVE_INDICES="+strings.Join(run.Data.Indices, ","))
	return nil
}

// liveScript is the timed part: the writer from the start, then the three commands an operator runs. Each
// command's start and end go into $W/times; the writer's statistics at the end of the first pass into
// $W/writer-first-pass.json.
const liveScript = `mark() { echo "$1 $(date +%s.%N)" >>"$W/times"; }
"$WRITER" --url "$SRC" --indices "$LIVE_INDICES" --rate "$RATE" --stats "$W/writer.json" --id-prefix live >"$W/writer.out" 2>"$W/writer.log" &
wpid=$!
trap 'kill $wpid 2>/dev/null || true' EXIT
# The writer first reads the ids it may update or delete (seconds at 1M documents); the first pass starts when it
# writes (its statistics file appears after its first second of writing), so that the share it changes during
# the first pass is the one its rate was set for.
for _ in $(seq 600); do [ -e "$W/writer.json" ] && break; kill -0 $wpid 2>/dev/null || { cat "$W/writer.log"; exit 1; }; sleep 0.2; done
[ -e "$W/writer.json" ] || { echo "the writer did not start writing in 2 minutes"; cat "$W/writer.log"; exit 1; }
mark start
# The first pass sees the writes: its verification reports changed indices (exit 1), which is what catch-up is for.
set +e
"$ESM" run --plan "$W/plan.yaml" --accept-warnings >"$W/first-pass.log" 2>&1
rc=$?
set -e
mark first-pass
cp "$W/writer.json" "$W/writer-first-pass.json" 2>/dev/null || true
[ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || { tail -20 "$W/first-pass.log"; exit "$rc"; }
set +e
"$ESM" catch-up --state "$W/state.json" >"$W/catch-up.log" 2>&1
rc=$?
set -e
mark catch-up
[ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || { tail -20 "$W/catch-up.log"; exit "$rc"; }
"$ESM" cutover --state "$W/state.json" --confirm "$SOURCE_NAME" >"$W/cutover.log" 2>&1 || { tail -20 "$W/cutover.log"; exit 1; }
mark cutover
kill -TERM $wpid; wait $wpid || true
`

// liveFigure names, in the order the table shows them.
const (
	figFirstPass     = "first_pass_seconds"
	figCatchUp       = "catch_up_seconds"
	figRounds        = "rounds"
	figLastEstimate  = "last_round_estimate_seconds"
	figFinalRound    = "final_round_seconds"
	figCutover       = "cutover_seconds"
	figFreeze        = "freeze_seconds"
	figChangedFirst  = "writer_changes_first_pass"
	figChangedShare  = "writer_changed_share_first_pass"
	figChangedTotal  = "writer_changes"
	figBlocked       = "writer_writes_refused_by_the_block"
	figDifferences   = "content_differences"
	figSeqNoVerified = "seqno_verified"
)

// verifyLive checks what the live procedure promises, from outside where it can: the cut-over finished, every
// index verified by sequence numbers under the block and by content after it with no difference; the target's
// document counts equal the source's (blocked, hence still); the writer changed documents during the first pass
// and its writes were refused by the block. It records the row's figures.
func verifyLive(h *harness, run *runEnv) (int64, []string, error) {
	st, err := steps.ReadState(filepath.Join(run.Dir, "state.json"))
	if err != nil {
		return 0, nil, err
	}
	if st.Live == nil || st.Live.Cutover == nil || !st.Live.Cutover.Done() {
		return 0, nil, fmt.Errorf("the cut-over did not finish (see %s)", filepath.Join(run.Dir, "cutover.log"))
	}
	c := st.Live.Cutover
	var writer, first struct {
		Indexed, Updated, Deleted, Blocked, Failed int64
		Errors                                     []string
	}
	if err := readJSONFile(filepath.Join(run.Dir, "writer.json"), &writer); err != nil {
		return 0, nil, fmt.Errorf("the writer's statistics: %w", err)
	}
	readJSONFile(filepath.Join(run.Dir, "writer-first-pass.json"), &first)
	changedFirst := first.Indexed + first.Updated + first.Deleted
	// A write refused for another reason than the block is the harness's fault, and it changes the row: at
	// 7a7e757 the benchmark's strict mappings refused every new and updated document, so the writer only deleted.
	if writer.Failed > 0 {
		return 0, nil, fmt.Errorf("the writer had %d writes refused for another reason than the block (%s): the row measures a writer that indexes, updates and deletes", writer.Failed, strings.Join(writer.Errors, "; "))
	}
	if first.Indexed == 0 || first.Updated == 0 || first.Deleted == 0 {
		return 0, nil, fmt.Errorf("the writer indexed %d, updated %d and deleted %d documents during the first pass: the row needs all three", first.Indexed, first.Updated, first.Deleted)
	}
	if changedFirst == 0 || writer.Blocked == 0 {
		return 0, nil, fmt.Errorf("the writer changed %d documents during the first pass and had %d writes refused by the block: the row needs both", changedFirst, writer.Blocked)
	}
	var where []string
	var missing int64
	if c.Content == nil || c.Content.Differences != 0 || c.Content.Verified != c.Content.Indices || c.SeqNoVerified != len(c.Indices) {
		where = append(where, fmt.Sprintf("cut-over verification: %d of %d by sequence numbers, content %+v", c.SeqNoVerified, len(c.Indices), c.Content))
		if c.Content != nil {
			missing += c.Content.Differences
		}
		missing = max(missing, 1)
	}
	src, err := h.src.counts(run.Data.Indices)
	if err != nil {
		return 0, nil, err
	}
	dst, err := h.dst.counts(run.Data.Indices)
	if err != nil {
		return 0, nil, err
	}
	for _, ix := range run.Data.Indices {
		if src[ix] != dst[ix] {
			missing += abs64(src[ix] - dst[ix])
			where = append(where, fmt.Sprintf("%s has %d documents on the target, %d on the blocked source", ix, dst[ix], src[ix]))
		}
	}
	times := readTimes(filepath.Join(run.Dir, "times"))
	rounds, lastEstimate, finalRound := 0, 0.0, 0.0
	for _, r := range st.Live.Rounds {
		if r.Final {
			finalRound = r.Duration().Seconds()
			continue
		}
		rounds++
		lastEstimate = r.NextEstimate.Seconds()
	}
	run.res.Figures = map[string]float64{
		figFirstPass:     times["first-pass"] - times["start"],
		figCatchUp:       times["catch-up"] - times["first-pass"],
		figCutover:       times["cutover"] - times["catch-up"],
		figRounds:        float64(rounds),
		figLastEstimate:  lastEstimate,
		figFinalRound:    finalRound,
		figFreeze:        c.Freeze.Seconds(),
		figChangedFirst:  float64(changedFirst),
		figChangedShare:  float64(changedFirst) / float64(max(run.Data.Docs, 1)),
		figChangedTotal:  float64(writer.Indexed + writer.Updated + writer.Deleted),
		figBlocked:       float64(writer.Blocked),
		figDifferences:   0,
		figSeqNoVerified: float64(c.SeqNoVerified),
	}
	if c.Content != nil {
		run.res.Figures[figDifferences] = float64(c.Content.Differences)
	}
	h.logf("  live: first pass %.1fs (writer changed %d documents, %.2f%%), %d round(s) in %.1fs (next estimated %.1fs), cut-over %.1fs: freeze %.2fs (last round %.1fs), content differences %v",
		run.res.Figures[figFirstPass], changedFirst, 100*run.res.Figures[figChangedShare], rounds, run.res.Figures[figCatchUp], lastEstimate,
		run.res.Figures[figCutover], c.Freeze.Seconds(), finalRound, run.res.Figures[figDifferences])
	return missing, where, nil
}

func abs64(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

func readJSONFile(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// readTimes reads the script's marks ("name unix-seconds" lines).
func readTimes(path string) map[string]float64 {
	out := map[string]float64{}
	b, _ := os.ReadFile(path)
	for _, l := range strings.Split(string(b), "\n") {
		name, v, ok := strings.Cut(strings.TrimSpace(l), " ")
		if !ok {
			continue
		}
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			out[name] = f
		}
	}
	return out
}

// liveTable renders the live rows: the first pass, the rounds, and the write freeze against a full re-migration
// (the row's floor, esmigrate-separate: the same data and settings, no writer) and against its own first pass.
func liveTable(r results, heading string, nums map[string]int) string {
	var b strings.Builder
	p := func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }
	by := map[string]rowResult{}
	for _, x := range r.Rows {
		by[x.Key] = x
	}
	var rows []rowResult
	for _, x := range r.Rows {
		if x.Table == "live" {
			rows = append(rows, x)
		}
	}
	if len(rows) == 0 {
		return ""
	}
	t := tableOf("live")
	p("%s %s\n\n%s\n\n", heading, t.Title, t.Text)
	p("| # | Method | First pass s | Writer changes in it | Rounds, in s | Next estimated s | Cut-over s | **Write freeze s** | Freeze / full re-migration | Freeze / first pass | Content differences |\n")
	p("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, x := range rows {
		n := nums[x.Key]
		if x.NotMeasuredBecause != "" {
			p("| %d | %s | not measured: %s | | | | | | | | |\n", n, x.Name, x.NotMeasuredBecause)
			continue
		}
		runs := measured(x)
		if runs == 0 {
			p("| %d | %s | every run failed (see the results file) | | | | | | | | |\n", n, x.Name)
			continue
		}
		f := x.Figures
		full := "–"
		if fl, ok := by[x.Floor]; ok && fl.Wall.Median > 0 {
			full = fmt.Sprintf("%.1f%% of %.1f s (%d)", 100*f[figFreeze].Median/fl.Wall.Median, fl.Wall.Median, nums[fl.Key])
		}
		own := "–"
		if f[figFirstPass].Median > 0 {
			own = fmt.Sprintf("%.1f%%", 100*f[figFreeze].Median/f[figFirstPass].Median)
		}
		p("| %d | %s | %s | %s (%.2f%%) | %.0f in %s | %s | %s | **%s** | %s | %s | %.0f |\n", n, x.Name, rng(f[figFirstPass], "%.1f", runs),
			num(int64(f[figChangedFirst].Median)), 100*f[figChangedShare].Median, f[figRounds].Median, rng(f[figCatchUp], "%.1f", runs),
			rng(f[figLastEstimate], "%.1f", runs), rng(f[figCutover], "%.1f", runs), rng(f[figFreeze], "%.2f", runs), full, own, f[figDifferences].Max)
	}
	p("\n")
	for _, x := range rows {
		if f := x.Figures; f != nil && f[figFreeze].Median > 0 {
			p("- %s (%d): the writer's writes were refused by the block %s times (median); the last round under it took %s s; every index verified by sequence numbers under the block and by content after it.\n",
				x.Key, nums[x.Key], num(int64(f[figBlocked].Median)), rng(f[figFinalRound], "%.1f", measured(x)))
		}
	}
	p("\n")
	return b.String()
}
