package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/esmigrate/esmigrate/steps"
)

// The migration rows: the benchmark indices moved from the source to the empty target by esmigrate (separate
// shares, shared storage), by the bare snapshot/restore procedure each of them is compared with, by _reindex from
// remote and by elasticdump, each at the defaults and tuned. Every contender talks to the clusters directly: no
// proxy is in any data path; requests are counted by the clusters themselves (_nodes/stats/http).

// unthrottled is the rate the tuned snapshot rows give Elasticsearch's snapshot and recovery throttles (defaults:
// 40mb per second each in 7.x), well above what the disk does here.
const unthrottled = "1gb"

func init() {
	esmRun := `exec "$ESM" run --plan "$W/plan.yaml" --accept-warnings` + "\n"
	notElasticdump := func(h *harness) string {
		if h.elasticdump == "" {
			return "elasticdump is not installed (run.sh installs it with npm)"
		}
		return ""
	}
	for _, tuned := range []bool{false, true} {
		table, setting, sfx, throttles := "defaults", "defaults", "", "throttles at their defaults (40 MB/s)"
		if tuned {
			table, setting, sfx, throttles = "tuned", "tuned", "-tuned", "throttles raised to "+unthrottled+"/s"
		}
		register(
			&Row{Key: "esmigrate-separate" + sfx, Table: table, Setting: setting, Floor: "bare" + sfx, Ours: true,
				Name:    "esmigrate, separate shares (snapshot → copy → restore → verify), " + throttles,
				Notes:   "`esmigrate run --plan` of a plan written beforehand (poll interval 1 s, copy with 4 workers and fsync, `_count` verification)" + raisedNote(tuned),
				Prepare: esmPlan(false, tuned), Script: esmRun},
			&Row{Key: "esmigrate-shared" + sfx, Table: table, Setting: setting, Floor: "bare-shared" + sfx, Ours: true,
				Name:    "esmigrate, shared storage (snapshot → restore → verify, no copy), " + throttles,
				Notes:   "the same with `--shared`: one repository location both clusters mount" + raisedNote(tuned),
				Prepare: esmPlan(true, tuned), Script: esmRun},
			&Row{Key: "bare" + sfx, Table: table, Setting: setting, Ours: true,
				Name:    "floor for separate shares: curl snapshot, `cp -a`, curl restore, " + throttles,
				Notes:   "what the documentation shows, with `wait_for_completion`: no checks, no progress, no verification, no fsync of the copy" + raisedNote(tuned),
				Prepare: raiseIf(tuned), Script: bareScript(false, tuned)},
			&Row{Key: "bare-shared" + sfx, Table: table, Setting: setting, Ours: true,
				Name:    "floor for shared storage: curl snapshot, curl restore (no copy), " + throttles,
				Notes:   "the same without the copy: the target registers the source's repository location read-only" + raisedNote(tuned),
				Prepare: raiseIf(tuned), Script: bareScript(true, tuned)},
		)
		reindex := &Row{Key: "reindex" + sfx, Table: table, Setting: setting, Floor: "bare" + sfx,
			Prepare: prepareReindex(tuned), Script: reindexScript(tuned)}
		dump := &Row{Key: "elasticdump" + sfx, Table: table, Setting: setting, Floor: "bare" + sfx,
			Needs: notElasticdump, Script: elasticdumpScript}
		if tuned {
			reindex.Name = "_reindex from remote, size {reindex-size}, target refresh_interval -1 and 0 replicas while it runs"
			reindex.Notes = "one request per index, all at once; the target indices created beforehand with the source's mappings and shard count, `number_of_replicas: 0` and `refresh_interval: -1`, both put back (and a refresh) inside the timing"
			dump.Name = "elasticdump --limit {dump-limit} --noRefresh, {slices} sliced processes per index, all at once"
			dump.Notes = "settings, mapping, then the data in {slices} sliced scrolls per index (one process each, `--searchBody` with `slice`), every index at once"
			dump.Prepare = func(h *harness, run *runEnv) error {
				run.Vars = append(run.Vars, fmt.Sprintf("DUMP_FLAGS=--limit %d --noRefresh", h.dumpLimit), fmt.Sprintf("SLICES=%d", h.dumpSlices))
				return nil
			}
		} else {
			reindex.Name = "_reindex from remote, default size (1000)"
			reindex.Notes = "one request per index, all at once; the target indices created beforehand with the source's mappings and shard count, everything else at Elasticsearch's defaults (1 replica, which one node leaves unassigned; refresh every second)"
			dump.Name = "elasticdump at its defaults (--limit 100), one process per index, all at once"
			dump.Notes = "settings, mapping, then data, per index; every index at once"
			dump.Prepare = func(h *harness, run *runEnv) error {
				run.Vars = append(run.Vars, "DUMP_FLAGS=", "SLICES=1")
				return nil
			}
		}
		register(reindex, dump)
	}
	// The defaults table is bound by Elasticsearch's 40 MB/s throttles at every size (the 1 GB table shows it);
	// at 10 GB three rounds of it would take about three hours: the large size runs the tuned table only.
	for _, r := range registry {
		if r.Table == "defaults" {
			r.Sizes = []string{"default", "small", "ci"}
		}
	}
}

func raisedNote(tuned bool) string {
	if !tuned {
		return ""
	}
	return "; `max_snapshot_bytes_per_sec` and `max_restore_bytes_per_sec` " + unthrottled + " on the repository, `indices.recovery.max_bytes_per_sec` " + unthrottled + " on the target (transient, set beforehand)"
}

// raise lifts the target's recovery throttle (restores are recoveries); reset puts it back.
func raise(h *harness) error {
	return h.dst.call("PUT", "/_cluster/settings", map[string]any{"transient": map[string]any{"indices.recovery.max_bytes_per_sec": unthrottled}}, nil)
}

func raiseIf(tuned bool) func(*harness, *runEnv) error {
	if !tuned {
		return nil
	}
	return func(h *harness, _ *runEnv) error { return raise(h) }
}

// esmPlan writes the run's plan with `esmigrate plan`, as an operator does before `esmigrate run`.
func esmPlan(shared, tuned bool) func(*harness, *runEnv) error {
	return func(h *harness, run *runEnv) error {
		key := run.row.Key
		args := []string{"plan", "--source", h.srcURL, "--target", h.dstURL,
			"--indices", run.Data.Pattern, "--state", filepath.Join(run.Dir, "state.json"), "--report-dir", run.Dir}
		if shared {
			loc := filepath.Join(h.shares, "shared-repo", key)
			args = append(args, "--source-location", loc, "--target-location", loc, "--shared")
		} else {
			args = append(args, "--source-location", filepath.Join(h.shares, "source-repo", key),
				"--target-location", filepath.Join(h.shares, "target-repo", key))
		}
		out, err := exec.Command(h.esm, args...).Output()
		if err != nil {
			return fmt.Errorf("esmigrate plan: %v", err)
		}
		path := filepath.Join(run.Dir, "plan.yaml")
		if err := os.WriteFile(path, out, 0o644); err != nil {
			return err
		}
		if !tuned {
			return nil
		}
		p, err := steps.LoadPlan(path)
		if err != nil {
			return err
		}
		p.Repository.MaxSnapshotBytesPerSec, p.Repository.MaxRestoreBytesPerSec = unthrottled, unthrottled
		if err := os.WriteFile(path, p.YAML(), 0o644); err != nil {
			return err
		}
		return raise(h)
	}
}

// bareScript is the procedure without orchestration: what the documentation shows, with curl (and cp -a when
// the clusters do not share the repository's storage).
func bareScript(shared, tuned bool) string {
	extra := ""
	if tuned {
		extra = `,"max_snapshot_bytes_per_sec":"` + unthrottled + `","max_restore_bytes_per_sec":"` + unthrottled + `"`
	}
	srcLoc, dstLoc, cp := `$SHARES/source-repo/bare`, `$SHARES/target-repo/bare`, `cp -a "$SHARES/source-repo/bare" "$SHARES/target-repo/bare"`+"\n"
	if shared {
		srcLoc, dstLoc, cp = `$SHARES/shared-repo/bare`, `$SHARES/shared-repo/bare`, ""
	}
	return `j='Content-Type: application/json'
curl -fsS -XPUT "$SRC/_snapshot/bare" -H "$j" -d '{"type":"fs","settings":{"location":"'"` + srcLoc + `"'","compress":true` + extra + `}}'; echo
curl -fsS -XPUT "$SRC/_snapshot/bare/snap1?wait_for_completion=true" -H "$j" \
  -d '{"indices":"'"$PATTERN"'","include_global_state":false}' | tee "$W/snapshot.json"; echo
grep -q '"state":"SUCCESS"' "$W/snapshot.json"
` + cp + `curl -fsS -XPUT "$DST/_snapshot/bare" -H "$j" -d '{"type":"fs","settings":{"location":"'"` + dstLoc + `"'","readonly":true,"compress":true` + extra + `}}'; echo
curl -fsS -XPOST "$DST/_snapshot/bare/snap1/_restore?wait_for_completion=true" -H "$j" \
  -d '{"indices":"'"$PATTERN"'","include_global_state":false,"include_aliases":true}' | tee "$W/restore.json"; echo
grep -q '"failed":0' "$W/restore.json"
`
}

// reindexScript creates the target indices from the bodies Prepare wrote, then pulls every index from the source
// at once (the target's reindex.remote.whitelist names the source).
func reindexScript(tuned bool) string {
	sizeField, after := "", ""
	if tuned {
		sizeField = `,"size":'"$REINDEX_SIZE"'`
		after = `for ix in $INDICES; do curl -fsS -XPUT "$DST/$ix/_settings" -H "$j" -d @"$W/$ix.after.json" >/dev/null; done
curl -fsS -XPOST "$DST/$(echo $INDICES | tr ' ' ,)/_refresh" >/dev/null
`
	}
	return `j='Content-Type: application/json'
for ix in $INDICES; do curl -fsS -XPUT "$DST/$ix" -H "$j" -d @"$W/$ix.json" >/dev/null; done
pids=()
for ix in $INDICES; do
  curl -sS -XPOST "$DST/_reindex?wait_for_completion=true" -H "$j" -o "$W/$ix.out" \
    -d '{"source":{"remote":{"host":"'"$SRC"'"},"index":"'"$ix"'"` + sizeField + `},"dest":{"index":"'"$ix"'"}}' &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
for ix in $INDICES; do grep -q '"failures":\[\]' "$W/$ix.out" || { echo "reindex of $ix:"; cat "$W/$ix.out"; exit 1; }; done
` + after
}

// prepareReindex writes the create-index bodies: the source's mappings and number of shards; tuned, also 0
// replicas and no refresh while it runs, and the source's settings put back afterwards (<index>.after.json).
func prepareReindex(tuned bool) func(*harness, *runEnv) error {
	return func(h *harness, run *runEnv) error {
		run.Vars = append(run.Vars, fmt.Sprintf("REINDEX_SIZE=%d", h.reindexSize))
		for _, ix := range run.Data.Indices {
			var m map[string]struct {
				Mappings any `json:"mappings"`
			}
			if err := h.src.call("GET", "/"+ix+"/_mapping", nil, &m); err != nil {
				return err
			}
			var s map[string]struct {
				Settings struct {
					Index struct {
						Shards   string `json:"number_of_shards"`
						Replicas string `json:"number_of_replicas"`
					} `json:"index"`
				} `json:"settings"`
			}
			if err := h.src.call("GET", "/"+ix+"/_settings", nil, &s); err != nil {
				return err
			}
			settings := map[string]any{"number_of_shards": s[ix].Settings.Index.Shards}
			if tuned {
				settings["number_of_replicas"], settings["refresh_interval"] = 0, "-1"
				// The source's replica count comes back at the end (the benchmark data has 0).
				if err := writeJSON(filepath.Join(run.Dir, ix+".after.json"), map[string]any{"index": map[string]any{
					"refresh_interval": nil, "number_of_replicas": s[ix].Settings.Index.Replicas}}); err != nil {
					return err
				}
			}
			if err := writeJSON(filepath.Join(run.Dir, ix+".json"), map[string]any{"settings": settings, "mappings": m[ix].Mappings}); err != nil {
				return err
			}
		}
		return nil
	}
}

// elasticdumpScript copies every index at once, each with its settings, its mapping, then its data in SLICES
// sliced scrolls (one process each), with DUMP_FLAGS.
const elasticdumpScript = `one() {
  local ix=$1 s pids=()
  "$ELASTICDUMP" --input="$SRC/$ix" --output="$DST/$ix" --type=settings
  "$ELASTICDUMP" --input="$SRC/$ix" --output="$DST/$ix" --type=mapping
  if [ "$SLICES" -le 1 ]; then
    "$ELASTICDUMP" --input="$SRC/$ix" --output="$DST/$ix" --type=data $DUMP_FLAGS
    return
  fi
  for s in $(seq 0 $((SLICES - 1))); do
    "$ELASTICDUMP" --input="$SRC/$ix" --output="$DST/$ix" --type=data $DUMP_FLAGS \
      --searchBody='{"slice":{"id":'$s',"max":'$SLICES'},"query":{"match_all":{}}}' >"$W/$ix.slice-$s.log" 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
}
pids=()
for ix in $INDICES; do
  one "$ix" >"$W/$ix.log" 2>&1 &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
`
