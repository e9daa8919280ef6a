package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/nfs"
	"github.com/esmigrate/esmigrate/steps"
)

// The scale rows (issue 13): many small indices in one batch, and a migration in four batches, pipelined, each
// against the bare procedure on the same indices in the same run.
//
//   - scale: N = 1, 100 and 1,000 indices of 1,000 documents each, at Elasticsearch's defaults, one batch: the
//     fixed cost of esmigrate (N = 1) and what it costs per index (N = 1,000) over the bare procedure;
//   - pipeline: the benchmark data set in four batches, esmigrate with two batches in flight (the next batch's
//     snapshot while the previous one is copied, restored and verified) against the by-hand loop that takes them
//     one after the other (snapshot, cp -a, restore, per batch).

func init() {
	tables = append(tables,
		table{Key: "scale", Title: "Many small indices",
			Text: "N indices of 1,000 documents each, one batch, separate shares, at Elasticsearch's defaults; each esmigrate row against the bare procedure on the same indices in the same run."},
		table{Key: "pipeline", Title: "Four batches",
			Text: "The benchmark data set in four batches (the same four groups of indices for both), separate shares, at Elasticsearch's defaults: esmigrate with two batches in flight against the by-hand loop that takes one batch after the other."})
	esmRun := `exec "$ESM" run --plan "$W/plan.yaml" --accept-warnings` + "\n"
	for _, n := range []int{1, 100, 1000} {
		data := scaleData(n)
		sizes := []string{"default", "small", "ci"}
		if n == 1000 {
			sizes = []string{"default", "small"} // about 3 minutes a round: not in make test's --ci run
		}
		bare, esm := fmt.Sprintf("bare-n%d", n), fmt.Sprintf("esmigrate-n%d", n)
		register(
			&Row{Key: bare, Table: "scale", Setting: "defaults", Ours: true, Data: data, Sizes: sizes,
				Name:   fmt.Sprintf("floor, %s: curl snapshot, `cp -a`, curl restore", indicesWord(n)),
				Notes:  "the bare procedure of the migration tables (one snapshot of the pattern, `cp -a`, one restore, both with `wait_for_completion`)",
				Script: bareScript(false, false)},
			&Row{Key: esm, Table: "scale", Setting: "defaults", Floor: bare, Ours: true, Data: data, Sizes: sizes,
				Name:    fmt.Sprintf("esmigrate, %s, one batch (snapshot → copy → restore → verify)", indicesWord(n)),
				Notes:   "`esmigrate run --plan` of a plan written beforehand with `esmigrate plan` (its defaults: seqno verification, poll interval 1 s)",
				Prepare: esmPlan(false, false), Script: esmRun},
		)
	}
	register(
		&Row{Key: "bare-loop-4", Table: "pipeline", Setting: "defaults", Ours: true,
			Name:    "floor: the by-hand loop, four batches one after the other (curl snapshot, `cp -au`, curl restore)",
			Notes:   "per batch: a snapshot of its indices and a restore of them, both with `wait_for_completion`, and `cp -au` of the repository in between (the files of the new snapshot)",
			Prepare: fourBatches(false), Script: bareLoopScript},
		&Row{Key: "esmigrate-pipelined-4", Table: "pipeline", Setting: "defaults", Floor: "bare-loop-4", Ours: true,
			Name:    "esmigrate, four batches, two in flight (the next batch's snapshot while the previous one is copied, restored and verified)",
			Notes:   "`esmigrate run --plan` with `batch_max_size` set so that the planner makes the same four batches, `batches_in_flight: 2`",
			Prepare: fourBatches(true), Script: esmRun},
		&Row{Key: "esmigrate-sequential-4", Table: "pipeline", Setting: "defaults", Floor: "bare-loop-4", Ours: true,
			Name:    "esmigrate, four batches, one after the other (`batches_in_flight: 1`)",
			Notes:   "the same plan with `batches_in_flight: 1`",
			Prepare: fourBatchesSequential, Script: esmRun},
	)
	// The throughput advice (issue 13, point 5): the 1 GB set at Elasticsearch's defaults, esmigrate with the
	// throttles its pre-flight proposes, against the bare procedure at the defaults. The probe runs inside the
	// timing (--measure-shares); the plan gets the values the same functions propose (nfs.MeasureShare,
	// nfs.ProposeThrottles), measured once more beforehand, since a run prints its advice but does not apply it.
	register(&Row{Key: "esmigrate-advised", Table: "defaults", Setting: "defaults", Floor: "bare", Ours: true, Sizes: []string{"default"},
		Name:    "esmigrate, separate shares, with the pre-flight's throttle advice applied (`--measure-shares`)",
		Notes:   "the plan of `esmigrate-separate` with `max_snapshot_bytes_per_sec` and `restore.target_recovery_max_bytes_per_sec` set to the proposal for these shares and one node per cluster; `run --measure-shares --allow-target-settings` (the probe of both shares is timed; the target's setting is put back at the end)",
		Prepare: advisedPlan, Script: `exec "$ESM" run --plan "$W/plan.yaml" --accept-warnings --measure-shares --allow-target-settings` + "\n"})
}

// advisedPlan writes the separate-shares plan with the throttles the pre-flight proposes for the bench's shares.
func advisedPlan(h *harness, run *runEnv) error {
	if err := esmPlan(false, false)(h, run); err != nil {
		return err
	}
	ctx := context.Background()
	probe := nfs.SpeedOptions{Bytes: 32 << 20, MaxTime: 2 * time.Second} // as the pre-flight's
	w, err := nfs.MeasureShare(ctx, filepath.Join(h.shares, "source-repo"), probe)
	if err != nil {
		return err
	}
	r, err := nfs.MeasureShare(ctx, filepath.Join(h.shares, "target-repo"), probe)
	if err != nil {
		return err
	}
	if !r.CacheDrop {
		return fmt.Errorf("the target share's read rate could not be measured past the page cache: no advice for the target")
	}
	t := nfs.ProposeThrottles(w, r, 1, 1)
	path := filepath.Join(run.Dir, "plan.yaml")
	p, err := steps.LoadPlan(path)
	if err != nil {
		return err
	}
	p.Repository.MaxSnapshotBytesPerSec = fmt.Sprintf("%dmb", t.SnapshotPerNode>>20)
	p.Restore.TargetRecoveryMaxBytesPerSec = fmt.Sprintf("%dmb", t.RestorePerNode>>20)
	return os.WriteFile(path, p.YAML(), 0o644)
}

func indicesWord(n int) string {
	if n == 1 {
		return "1 index"
	}
	return fmt.Sprintf("%s indices", thousands(n))
}

func thousands(n int) string { return num(int64(n)) }

// scaleData makes n indices of 1,000 documents (one shard, no replica) on the source, once: a block of up to 40
// by one bulk request, a snapshot of it, and restores of it under the other blocks' names (a restore creates its
// block in one cluster-state update; one index at a time, 1,000 take minutes). Both clusters get
// cluster.max_shards_per_node 5000 (persistent: the run's clusters are the benchmark's own).
func scaleData(n int) func(h *harness) (*dataSet, error) {
	var once sync.Once
	var d *dataSet
	var err error
	return func(h *harness) (*dataSet, error) {
		once.Do(func() { d, err = makeScaleData(h, n) })
		return d, err
	}
}

func makeScaleData(h *harness, n int) (*dataSet, error) {
	prefix := fmt.Sprintf("scale-n%d", n)
	pattern := prefix + "-*"
	if d, err := h.dataSet(pattern); err == nil && len(d.Indices) == n {
		return d, nil // made by an earlier run on the same clusters (BENCH_KEEP)
	}
	for _, a := range []*admin{h.src, h.dst} {
		if err := a.call("PUT", "/_cluster/settings", map[string]any{"persistent": map[string]any{"cluster.max_shards_per_node": 5000}}, nil); err != nil {
			return nil, err
		}
	}
	// The restored blocks' shards start 2 or 3 at a time by default: 5,000 took longer than the health wait
	// below. The source is the benchmark's own; the rows' restores go to the target, which keeps its defaults.
	if err := h.src.call("PUT", "/_cluster/settings", map[string]any{"persistent": map[string]any{
		"cluster.routing.allocation.node_concurrent_recoveries": 16, "cluster.routing.allocation.node_initial_primaries_recoveries": 16}}, nil); err != nil {
		return nil, err
	}
	block := min(n, 40)
	name := func(b, i int) string { return fmt.Sprintf("%s-%03d-%03d", prefix, b, i) }
	if err := h.src.call("PUT", "/_template/"+prefix, map[string]any{"index_patterns": []string{pattern},
		"settings": map[string]any{"number_of_shards": 1, "number_of_replicas": 0}}, nil); err != nil {
		return nil, err
	}
	for i := 0; i < block; i++ {
		var b strings.Builder
		for d := 0; d < 1000; d++ {
			fmt.Fprintf(&b, "{\"index\":{\"_index\":%q}}\n{\"@timestamp\":\"2026-01-01T00:%02d:%02dZ\",\"host\":\"web-%d\",\"status\":%d,\"bytes\":%d,\"message\":\"GET /item/%d HTTP/1.1\"}\n",
				name(0, i), d/60%60, d%60, d%17, 200+d%5, d*37%10000, d)
		}
		var res struct{ Errors bool }
		if err := h.src.call("POST", "/_bulk", b.String(), &res); err != nil || res.Errors {
			return nil, fmt.Errorf("bulk into %s: %v (errors %v)", name(0, i), err, res.Errors)
		}
	}
	if err := h.src.call("POST", "/"+prefix+"-000-*/_refresh", nil, nil); err != nil {
		return nil, err
	}
	if blocks := (n + block - 1) / block; blocks > 1 {
		loc := filepath.Join(h.shares, "source-repo", "scale-gen-"+prefix)
		repo := "scale-gen"
		if err := h.src.call("PUT", "/_snapshot/"+repo, map[string]any{"type": "fs", "settings": map[string]any{"location": loc}}, nil); err != nil {
			return nil, err
		}
		if err := h.src.call("PUT", "/_snapshot/"+repo+"/base?wait_for_completion=true",
			map[string]any{"indices": prefix + "-000-*", "include_global_state": false}, nil); err != nil {
			return nil, err
		}
		for b := 1; b < blocks; b++ {
			// The last block takes only what is left of n (100 = 40 + 40 + 20, not 3 × 40).
			indices := prefix + "-000-*"
			if left := n - b*block; left < block {
				var names []string
				for i := 0; i < left; i++ {
					names = append(names, name(0, i))
				}
				indices = strings.Join(names, ",")
			}
			if err := h.src.call("POST", "/_snapshot/"+repo+"/base/_restore", map[string]any{"indices": indices,
				"include_global_state": false, "include_aliases": false,
				"rename_pattern": "(.+)-000-(\\d+)", "rename_replacement": fmt.Sprintf("$1-%03d-$2", b)}, nil); err != nil {
				return nil, err
			}
		}
		var health struct {
			TimedOut bool `json:"timed_out"`
		}
		wait := min(max(600, n/2), 1500) // seconds: about 20 shards a second start here, under load fewer (the admin client waits 30 min)
		if err := h.src.call("GET", fmt.Sprintf("/_cluster/health/%s?wait_for_status=green&timeout=%ds", pattern, wait), nil, &health); err != nil || health.TimedOut {
			return nil, fmt.Errorf("the restored indices are not green after %d s: %v", wait, err)
		}
		// the reset empties the shares before every run: the generation's repository goes now
		h.src.call("DELETE", "/_snapshot/"+repo+"/base", nil, nil, 404)
		h.src.call("DELETE", "/_snapshot/"+repo, nil, nil, 404)
		os.RemoveAll(loc)
	}
	d, err := h.dataSet(pattern)
	if err != nil {
		return nil, err
	}
	if len(d.Indices) != n || d.Docs != int64(n)*1000 {
		return nil, fmt.Errorf("%s: %d indices, %d documents, want %d and %d", pattern, len(d.Indices), d.Docs, n, n*1000)
	}
	return d, nil
}

// batchesOf splits the data set as esmigrate's planner does into four batches: the smallest batch_max_size
// (searched in steps of 1% of the data) for which the planner makes four. It returns that size and the groups.
func batchesOf(h *harness, d *dataSet) (int64, [][]string, error) {
	var rows []struct {
		Index string `json:"index"`
		Pri   string `json:"pri.store.size"`
	}
	if err := h.src.call("GET", "/_cat/indices/"+d.Pattern+"?format=json&bytes=b&h=index,pri.store.size", nil, &rows); err != nil {
		return 0, nil, err
	}
	var ixs []esclient.Index
	var total, largest int64
	for _, r := range rows {
		var n int64
		fmt.Sscan(r.Pri, &n)
		ixs = append(ixs, esclient.Index{Name: r.Index, PrimaryBytes: n})
		total += n
		largest = max(largest, n)
	}
	for c := largest; c <= total; c += max(total/100, 1) {
		if b := steps.PlanBatches(ixs, c); len(b) == 4 {
			var groups [][]string
			for _, x := range b {
				names := x.Names()
				sort.Strings(names)
				groups = append(groups, names)
			}
			return c, groups, nil
		}
	}
	return 0, nil, fmt.Errorf("the planner makes no four batches of %s (%d indices)", d.Pattern, len(ixs))
}

// fourBatches prepares a four-batch row: esmigrate's plan with the batch size that makes the four batches, or
// the bare loop's groups of indices (the same four).
func fourBatches(esm bool) func(h *harness, run *runEnv) error {
	return func(h *harness, run *runEnv) error {
		size, groups, err := batchesOf(h, run.Data)
		if err != nil {
			return err
		}
		if !esm {
			var g []string
			for _, names := range groups {
				g = append(g, strings.Join(names, ","))
			}
			run.Vars = append(run.Vars, "GROUPS="+strings.Join(g, " "))
			return nil
		}
		return esmPlanWith(h, run, fmt.Sprintf("%db", size), 2)
	}
}

func fourBatchesSequential(h *harness, run *runEnv) error {
	size, _, err := batchesOf(h, run.Data)
	if err != nil {
		return err
	}
	return esmPlanWith(h, run, fmt.Sprintf("%db", size), 1)
}

// esmPlanWith writes the run's plan with `esmigrate plan` (separate shares), a batch size and batches in flight.
func esmPlanWith(h *harness, run *runEnv, batchSize string, inFlight int) error {
	key := run.row.Key
	out, err := exec.Command(h.esm, "plan", "--source", h.srcURL, "--target", h.dstURL,
		"--indices", run.Data.Pattern, "--state", filepath.Join(run.Dir, "state.json"), "--report-dir", run.Dir,
		"--source-location", filepath.Join(h.shares, "source-repo", key), "--target-location", filepath.Join(h.shares, "target-repo", key),
		"--batch-max-size", batchSize, "--batches-in-flight", fmt.Sprint(inFlight)).Output()
	if err != nil {
		return fmt.Errorf("esmigrate plan: %v", err)
	}
	return os.WriteFile(filepath.Join(run.Dir, "plan.yaml"), out, 0o644)
}

// bareLoopScript is the seed's by-hand loop: one batch after the other, each snapshotted, copied and restored.
const bareLoopScript = `j='Content-Type: application/json'
curl -fsS -XPUT "$SRC/_snapshot/bare" -H "$j" -d '{"type":"fs","settings":{"location":"'"$SHARES/source-repo/bare"'","compress":true}}'; echo
n=0
for g in $GROUPS; do
  n=$((n+1))
  curl -fsS -XPUT "$SRC/_snapshot/bare/batch$n?wait_for_completion=true" -H "$j" \
    -d '{"indices":"'"$g"'","include_global_state":false}' | tee "$W/snapshot$n.json"; echo
  grep -q '"state":"SUCCESS"' "$W/snapshot$n.json"
  if [ $n = 1 ]; then
    cp -a "$SHARES/source-repo/bare" "$SHARES/target-repo/bare"
    curl -fsS -XPUT "$DST/_snapshot/bare" -H "$j" -d '{"type":"fs","settings":{"location":"'"$SHARES/target-repo/bare"'","readonly":true,"compress":true}}'; echo
  else
    cp -au "$SHARES/source-repo/bare/." "$SHARES/target-repo/bare/"
  fi
  curl -fsS -XPOST "$DST/_snapshot/bare/batch$n/_restore?wait_for_completion=true" -H "$j" \
    -d '{"indices":"'"$g"'","include_global_state":false,"include_aliases":true}' | tee "$W/restore$n.json"; echo
  grep -q '"failed":0' "$W/restore$n.json"
done
`
