package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/esmigrate/esmigrate/steps"
)

// contender is one way of moving the benchmark indices from the source to the empty target.
type contender struct {
	Key, Name string
	Notes     string
	prepare   func(dir string) error // not timed: what an operator writes before starting
	script    string                 // bash, timed; sees SRC, DST (the counting proxies), SRC_DIRECT, SHARES, W, ...
	env       []string
}

// unthrottled is the rate the "throttles raised" rows give Elasticsearch's snapshot and recovery throttles
// (defaults: 40mb per second each in 7.x), well above what the disk does here.
const unthrottled = "1gb"

// migrationResult is one row of the side-by-side table.
type migrationResult struct {
	Key                string      `json:"key"`
	Name               string      `json:"name"`
	WallSeconds        float64     `json:"wall_seconds"`
	RatioToBare        float64     `json:"ratio_to_bare"`
	Docs               int64       `json:"docs"`
	DocsPerSecond      float64     `json:"docs_per_second"`
	MBPerSecond        float64     `json:"mb_per_second"`
	CPUSeconds         float64     `json:"orchestrator_cpu_seconds"`
	PeakRSSMB          float64     `json:"orchestrator_peak_rss_mb"`
	MeasuredBy         string      `json:"measured_by"`
	SourceRequests     int64       `json:"source_requests"`
	TargetRequests     int64       `json:"target_requests"`
	SourceDirect       int64       `json:"source_requests_direct"` // not through the proxy (remote reindex)
	SourceProxy        proxyCounts `json:"source_proxy"`
	TargetProxy        proxyCounts `json:"target_proxy"`
	ClusterCPUSeconds  float64     `json:"clusters_cpu_seconds"`
	Verified           bool        `json:"verified"`
	Notes              string      `json:"notes,omitempty"`
	Error              string      `json:"error,omitempty"`
	NotMeasuredBecause string      `json:"not_measured_because,omitempty"`
}

func (h *harness) contenders() []contender {
	raise := func() error {
		return h.dst.call("PUT", "/_cluster/settings", map[string]any{"transient": map[string]any{"indices.recovery.max_bytes_per_sec": unthrottled}}, nil)
	}
	esmPlan := func(key string, shared, raised bool) func(dir string) error {
		return func(dir string) error {
			args := []string{"plan", "--source", h.srcProxy.URL(), "--target", h.dstProxy.URL(),
				"--indices", h.pattern, "--state", filepath.Join(dir, "state.json"), "--report-dir", dir}
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
			path := filepath.Join(dir, "plan.yaml")
			if err := os.WriteFile(path, out, 0o644); err != nil {
				return err
			}
			if !raised {
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
			return raise()
		}
	}
	dump := func(limit string) string {
		return `pids=()
for ix in $INDICES; do
  ( "$ELASTICDUMP" --input="$SRC/$ix" --output="$DST/$ix" --type=settings &&
    "$ELASTICDUMP" --input="$SRC/$ix" --output="$DST/$ix" --type=mapping &&
    "$ELASTICDUMP" --input="$SRC/$ix" --output="$DST/$ix" --type=data ` + limit + ` ) >"$W/$ix.log" 2>&1 &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
`
	}
	return []contender{
		{Key: "esmigrate-separate", Name: "esmigrate run --plan, separate shares (snapshot → copy → restore → verify)",
			prepare: esmPlan("esmigrate-separate", false, false),
			script:  `exec "$ESM" run --plan "$W/plan.yaml" --accept-warnings` + "\n",
			Notes:   "plan written beforehand; default plan: poll interval 1s, copy with 4 workers and fsync"},
		{Key: "esmigrate-shared", Name: "esmigrate run --plan, shared storage (no copy)",
			prepare: esmPlan("esmigrate-shared", true, false),
			script:  `exec "$ESM" run --plan "$W/plan.yaml" --accept-warnings` + "\n"},
		{Key: "bare", Name: "bare procedure: curl snapshot, cp -a, curl restore (wait_for_completion)",
			script: bareScript, Notes: "no checks, no progress, no verification, no fsync of the copy: the floor"},
		{Key: "reindex", Name: "_reindex from remote (one request per index, all at once)",
			prepare: h.prepareReindex,
			script: `j='Content-Type: application/json'
for ix in $INDICES; do curl -fsS -XPUT "$DST/$ix" -H "$j" -d @"$W/$ix.json" >/dev/null; done
pids=()
for ix in $INDICES; do
  curl -fsS -XPOST "$DST/_reindex?wait_for_completion=true" -H "$j" -o "$W/$ix.out" \
    -d '{"source":{"remote":{"host":"'"$SRC_DIRECT"'"},"index":"'"$ix"'","size":1000},"dest":{"index":"'"$ix"'"}}' &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
for ix in $INDICES; do grep -q '"failures":\[\]' "$W/$ix.out" || { cat "$W/$ix.out"; exit 1; }; done
`, Notes: "target indices created beforehand with the source's mappings and shard counts; remote batch size 1000 (default); the target pulls from the source directly (its whitelist names the real source): those requests are counted from the source's HTTP client statistics"},
		{Key: "elasticdump-default", Name: "elasticdump, default --limit (100), one process per index, all at once",
			script: dump(""), Notes: "settings, mapping, then data, per index"},
		{Key: "elasticdump-tuned", Name: fmt.Sprintf("elasticdump, --limit %d, one process per index, all at once", h.tunedLimit),
			script: dump("--limit " + strconv.Itoa(h.tunedLimit)), Notes: "settings, mapping, then data, per index"},
		{Key: "esmigrate-separate-raised", Name: "(1) with Elasticsearch's throttles raised to " + unthrottled + "/s",
			prepare: esmPlan("esmigrate-separate-raised", false, true),
			script:  `exec "$ESM" run --plan "$W/plan.yaml" --accept-warnings` + "\n",
			Notes:   "plan: max_snapshot_bytes_per_sec and max_restore_bytes_per_sec " + unthrottled + "; target: indices.recovery.max_bytes_per_sec " + unthrottled + " (transient, set beforehand)"},
		{Key: "bare-raised", Name: "(3) with Elasticsearch's throttles raised to " + unthrottled + "/s",
			prepare: func(string) error { return raise() },
			script:  bareScript, env: []string{`REPO_EXTRA=,"max_snapshot_bytes_per_sec":"` + unthrottled + `","max_restore_bytes_per_sec":"` + unthrottled + `"`},
			Notes: "repository settings max_snapshot_bytes_per_sec and max_restore_bytes_per_sec " + unthrottled + "; target: indices.recovery.max_bytes_per_sec " + unthrottled},
	}
}

// bareScript is the procedure without orchestration: what the documentation shows, with curl and cp -a.
const bareScript = `j='Content-Type: application/json'
curl -fsS -XPUT "$SRC/_snapshot/bare" -H "$j" -d '{"type":"fs","settings":{"location":"'"$SHARES"'/source-repo/bare","compress":true'"${REPO_EXTRA:-}"'}}'; echo
curl -fsS -XPUT "$SRC/_snapshot/bare/snap1?wait_for_completion=true" -H "$j" \
  -d '{"indices":"'"$PATTERN"'","include_global_state":false}' | tee "$W/snapshot.json"; echo
grep -q '"state":"SUCCESS"' "$W/snapshot.json"
cp -a "$SHARES/source-repo/bare" "$SHARES/target-repo/bare"
curl -fsS -XPUT "$DST/_snapshot/bare" -H "$j" -d '{"type":"fs","settings":{"location":"'"$SHARES"'/target-repo/bare","readonly":true,"compress":true'"${REPO_EXTRA:-}"'}}'; echo
curl -fsS -XPOST "$DST/_snapshot/bare/snap1/_restore?wait_for_completion=true" -H "$j" \
  -d '{"indices":"'"$PATTERN"'","include_global_state":false,"include_aliases":true}' | tee "$W/restore.json"; echo
grep -q '"failed":0' "$W/restore.json"
`

// prepareReindex writes the create-index bodies for the reindex contender: the source's mappings and number of
// shards, no replicas (as every other contender restores them).
func (h *harness) prepareReindex(dir string) error {
	for _, ix := range h.indices {
		var m map[string]struct {
			Mappings any `json:"mappings"`
		}
		if err := h.src.call("GET", "/"+ix+"/_mapping", nil, &m); err != nil {
			return err
		}
		var s map[string]struct {
			Settings struct {
				Index struct {
					Shards string `json:"number_of_shards"`
				} `json:"index"`
			} `json:"settings"`
		}
		if err := h.src.call("GET", "/"+ix+"/_settings", nil, &s); err != nil {
			return err
		}
		body := map[string]any{"settings": map[string]any{"number_of_shards": s[ix].Settings.Index.Shards, "number_of_replicas": 0},
			"mappings": m[ix].Mappings}
		if err := writeJSON(filepath.Join(dir, ix+".json"), body); err != nil {
			return err
		}
	}
	return nil
}

// reset brings both clusters and the shares back to the start: no benchmark index on the target, no repository
// on either side, empty shares.
func (h *harness) reset() error {
	names, err := h.dst.matching(h.pattern)
	if err != nil {
		return err
	}
	if err := h.dst.deleteIndices(names); err != nil {
		return err
	}
	for _, a := range []*admin{h.src, h.dst} {
		if err := a.dropRepositories(); err != nil {
			return err
		}
	}
	for _, d := range []string{"source-repo", "target-repo", "shared-repo"} {
		if err := emptyDir(filepath.Join(h.shares, d)); err != nil {
			return err
		}
	}
	if err := h.dst.call("PUT", "/_cluster/settings", map[string]any{"transient": map[string]any{"indices.recovery.max_bytes_per_sec": nil}}, nil); err != nil {
		return err
	}
	return h.dst.call("GET", "/_cluster/health?wait_for_no_initializing_shards=true&timeout=60s", nil, nil)
}

func (h *harness) runMigrations() ([]migrationResult, error) {
	var results []migrationResult
	for _, c := range h.contenders() {
		if h.only != "" && !strings.Contains(","+h.only+",", ","+c.Key+",") {
			continue
		}
		h.logf("migration: %s", c.Name)
		r := migrationResult{Key: c.Key, Name: c.Name, Notes: c.Notes, Docs: h.docs}
		if c.Key == "elasticdump-default" || c.Key == "elasticdump-tuned" {
			if h.elasticdump == "" {
				r.NotMeasuredBecause = "elasticdump is not installed (run.sh installs it with npm)"
				results = append(results, r)
				continue
			}
		}
		if err := h.runOne(c, &r); err != nil {
			return results, fmt.Errorf("%s: %w", c.Key, err)
		}
		h.logf("  %.1fs, %.0f docs/s, %.1f MB/s, CPU %.2fs, peak %.0f MB, requests %d source / %d target",
			r.WallSeconds, r.DocsPerSecond, r.MBPerSecond, r.CPUSeconds, r.PeakRSSMB, r.SourceRequests, r.TargetRequests)
		results = append(results, r)
	}
	if err := h.reset(); err != nil {
		return results, err
	}
	return results, nil
}

// merge puts fresh rows in place of the old rows of the same contender, in the contenders' order, and computes
// every row's ratio to the bare procedure (the rows with raised throttles: to the bare procedure with them).
func (h *harness) merge(old, fresh []migrationResult) []migrationResult {
	by := map[string]migrationResult{}
	for _, r := range old {
		by[r.Key] = r
	}
	for _, r := range fresh {
		by[r.Key] = r
	}
	var out []migrationResult
	for _, c := range h.contenders() {
		if r, ok := by[c.Key]; ok {
			out = append(out, r)
		}
	}
	for i, r := range out {
		floor := "bare"
		if strings.HasSuffix(r.Key, "-raised") {
			floor = "bare-raised"
		}
		out[i].RatioToBare = 0
		if b, ok := by[floor]; ok && b.WallSeconds > 0 && r.WallSeconds > 0 {
			out[i].RatioToBare = r.WallSeconds / b.WallSeconds
		}
	}
	return out
}

func (h *harness) runOne(c contender, r *migrationResult) error {
	if err := h.reset(); err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	dir := filepath.Join(h.work, c.Key)
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if c.prepare != nil {
		if err := c.prepare(dir); err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
	}
	script := filepath.Join(dir, "run.sh")
	if err := os.WriteFile(script, []byte("#!/usr/bin/env bash\n# "+c.Name+"\nset -euo pipefail\n"+c.script), 0o755); err != nil {
		return err
	}
	since, err := h.src.clock()
	if err != nil {
		return err
	}
	h.srcProxy.take()
	h.dstProxy.take()
	cpu0 := jvmCPU(filepath.Join(h.runDir, "source.pid")) + jvmCPU(filepath.Join(h.runDir, "target.pid"))
	env := []string{"SRC=" + h.srcProxy.URL(), "DST=" + h.dstProxy.URL(), "SRC_DIRECT=" + h.srcURL, "SHARES=" + h.shares,
		"W=" + dir, "ESM=" + h.esm, "ELASTICDUMP=" + h.elasticdump, "INDICES=" + strings.Join(h.indices, " "), "PATTERN=" + h.pattern}
	env = append(env, c.env...)
	u, err := runMeasured([]string{"bash", script}, env, filepath.Join(dir, "output.log"))
	if err != nil {
		return err
	}
	cpu1 := jvmCPU(filepath.Join(h.runDir, "source.pid")) + jvmCPU(filepath.Join(h.runDir, "target.pid"))
	r.SourceProxy, r.TargetProxy = h.srcProxy.take(), h.dstProxy.take()
	if r.SourceDirect, err = h.src.directRequests(since); err != nil {
		return err
	}
	r.SourceRequests = r.SourceProxy.Requests + r.SourceDirect
	r.TargetRequests = r.TargetProxy.Requests
	r.WallSeconds = u.Wall.Seconds()
	r.CPUSeconds = u.CPU.Seconds()
	r.PeakRSSMB = float64(u.PeakRSS) / 1024
	r.MeasuredBy = u.Source
	r.DocsPerSecond = float64(h.docs) / u.Wall.Seconds()
	r.MBPerSecond = float64(h.storeBytes) / 1e6 / u.Wall.Seconds()
	r.ClusterCPUSeconds = (cpu1 - cpu0).Seconds()
	// The target must hold every document of every index: a fast wrong migration is no result.
	got, err := h.dst.counts(h.indices)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	var lost int64
	var where []string
	for _, ix := range h.indices {
		if got[ix] != h.sourceCounts[ix] {
			lost += h.sourceCounts[ix] - got[ix]
			where = append(where, fmt.Sprintf("%s has %d documents on the target, %d on the source", ix, got[ix], h.sourceCounts[ix]))
		}
	}
	if lost == 0 {
		r.Verified = true
		return nil
	}
	if strings.HasPrefix(c.Key, "esmigrate") || strings.HasPrefix(c.Key, "bare") {
		// Ours, or the floor ours is measured against: a wrong result is an error of the benchmark or of esmigrate.
		return fmt.Errorf("verify: %s (output: %s)", strings.Join(where, "; "), filepath.Join(dir, "output.log"))
	}
	// Another tool's incomplete copy is a finding about that tool, reported in its row.
	r.Error = fmt.Sprintf("incomplete: %d of %d documents missing on the target (%s), though the tool reported success", lost, h.docs, strings.Join(where, "; "))
	h.logf("  %s", r.Error)
	return nil
}
