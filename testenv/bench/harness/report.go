package main

import (
	"fmt"
	"strings"
)

// headline compares every contender with the bare procedure, and esmigrate with the others.
func headline(rs []migrationResult) map[string]string {
	out := map[string]string{}
	by := map[string]migrationResult{}
	for _, r := range rs {
		if r.WallSeconds > 0 {
			by[r.Key] = r
		}
	}
	bare, ok := by["bare"]
	if !ok {
		return out
	}
	for _, k := range []string{"esmigrate-separate", "esmigrate-shared", "esmigrate-separate-raised"} {
		if r, ok := by[k]; ok && r.RatioToBare > 0 {
			verdict := "within"
			if r.RatioToBare > 1.10 {
				verdict = "outside"
			}
			out[k+"_vs_bare"] = fmt.Sprintf("%.2f× the bare procedure's time (%+.0f%%; goal ≤ +10%%: %s)", r.RatioToBare, (r.RatioToBare-1)*100, verdict)
		}
	}
	for _, e := range []string{"esmigrate-separate", "esmigrate-separate-raised"} {
		if esm, ok := by[e]; ok {
			for _, k := range []string{"reindex", "elasticdump-default", "elasticdump-tuned"} {
				if r, ok := by[k]; ok {
					out[e+"_speedup_vs_"+k] = fmt.Sprintf("%.1f× faster than %s", r.WallSeconds/esm.WallSeconds, k)
				}
			}
		}
	}
	_ = bare
	return out
}

func mb(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/1e6) }

func renderMarkdown(r results) string {
	var b strings.Builder
	p := func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }
	p("# esmigrate benchmarks (%s size)\n\n", r.Size)
	p("%s, commit %s. Machine: %d CPUs (%s), %s RAM, disk %s; Linux %s, %s", r.Date, r.Commit, r.Machine.CPUs, r.Machine.CPUModel,
		r.Machine.MemoryGB, r.Machine.Disk, r.Machine.Kernel, r.Machine.Go)
	if r.Machine.Node != "" {
		p(", Node %s", r.Machine.Node)
	}
	p(". Clusters: %s.\n\n", r.Clusters)
	p("Data (`testenv/bench/gen`, seed %d): %d indices, %d documents (top level), %s primary store", r.Seed, len(r.Data.Indices), r.Data.Docs, mb(r.Data.StoreBytes))
	if r.Data.GenSeconds > 0 {
		p(", generated in %.0f s", r.Data.GenSeconds)
	}
	p(".\n\n")
	if len(r.Migrations) > 0 {
		p("## Migration, side by side\n\n")
		p("Every contender moves the same indices to an empty target through the same counting proxies; the target's document counts are checked after each. ")
		p("Orchestrator CPU and peak memory: `/usr/bin/time -v` of the process tree that drives the migration (esmigrate; the shell with curl/cp; curl; node). ")
		p("Cluster CPU: both Elasticsearch JVMs during the run.\n\n")
		p("| # | Method | Wall s | vs (3)¹ | docs/s | MB/s | Orchestrator CPU s | Peak RSS MB | Requests source | Requests target | Clusters CPU s |\n")
		p("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for i, m := range r.Migrations {
			if m.NotMeasuredBecause != "" {
				p("| %d | %s | not measured: %s | | | | | | | | |\n", i+1, m.Name, m.NotMeasuredBecause)
				continue
			}
			src := itoa(m.SourceRequests)
			if m.SourceDirect > 0 {
				src = fmt.Sprintf("%d (%d direct)", m.SourceRequests, m.SourceDirect)
			}
			name := m.Name
			if !m.Verified {
				name += " — **incomplete**²"
			}
			p("| %d | %s | %.1f | %.2f× | %.0f | %.1f | %.2f | %.0f | %s | %d | %.0f |\n", i+1, name, m.WallSeconds, m.RatioToBare,
				m.DocsPerSecond, m.MBPerSecond, m.CPUSeconds, m.PeakRSSMB, src, m.TargetRequests, m.ClusterCPUSeconds)
		}
		p("\n¹ Wall time over the bare procedure's; the rows with raised throttles over row (3)'s with raised throttles. ")
		p("Elasticsearch 7.x throttles snapshots (max_snapshot_bytes_per_sec) and recoveries, restores included (indices.recovery.max_bytes_per_sec), to 40 MB/s by default.\n\n")
		for i, m := range r.Migrations {
			if m.Error != "" {
				p("² (%d) %s.\n\n", i+1, m.Error)
			}
		}
		if len(r.Headline) > 0 {
			p("Headline:\n\n")
			for _, k := range []string{"esmigrate-separate_vs_bare", "esmigrate-shared_vs_bare", "esmigrate-separate-raised_vs_bare"} {
				if v, ok := r.Headline[k]; ok {
					name := strings.TrimSuffix(k, "_vs_bare")
					if name == "esmigrate-separate-raised" {
						v = strings.Replace(v, "the bare procedure's", "the bare procedure's (throttles raised on both)", 1)
					}
					p("- %s: %s\n", name, v)
				}
			}
			for _, e := range []string{"esmigrate-separate", "esmigrate-separate-raised"} {
				for _, k := range []string{"reindex", "elasticdump-default", "elasticdump-tuned"} {
					if v, ok := r.Headline[e+"_speedup_vs_"+k]; ok {
						p("- %s: %s\n", e, v)
					}
				}
			}
			p("\n")
		}
		p("Notes and requests by endpoint:\n\n")
		for i, m := range r.Migrations {
			if m.NotMeasuredBecause != "" {
				continue
			}
			p("%d. %s", i+1, m.Key)
			if m.Notes != "" {
				p(": %s", m.Notes)
			}
			p(". Source: %s. Target: %s.\n", topEndpoints(m.SourceProxy.ByEndpoint, 6), topEndpoints(m.TargetProxy.ByEndpoint, 6))
		}
		p("\n")
	}
	if len(r.Copy) > 0 {
		p("## Repository copy\n\n")
		p("The same repository copied into an empty directory (first run), then again with nothing changed (second run). Ratio: the tool's time over esmigrate's in the same run (below 1: the tool is faster). Page cache warm.\n\n")
		p("| Repository | Files | Size | Tool | Run | Seconds | Ratio | Note |\n|---|---:|---:|---|---|---:|---:|---|\n")
		for _, c := range r.Copy {
			p("| %s | %d | %s | %s | %s | %.3f | %.2f | %s |\n", c.Repository, c.Files, mb(c.Bytes), c.Tool, c.Run, c.Seconds, c.Ratio, c.Note)
		}
		p("\n")
		for _, c := range r.Copy {
			if c.Run == "second" && c.Ratio == 1 {
				p("- %s (%d files): esmigrate's no-op second run took %.3f s (goal for 10,000 files: well under a second).\n", c.Repository, c.Files, c.Seconds)
			}
		}
		p("\n")
	}
	if len(r.Poll) > 0 {
		p("## Progress polling\n\n")
		p("Following a snapshot (source) and a restore (target) of many small shards, two ways: the esclient calls the engine makes per interval, each interval, on an `esclient.Client` with the engine's transport settings (keep-alive, gzip; bytes on the wire include HTTP headers); and the esmigrate binary itself on the same shards, every request it sent to that cluster between its first and last poll, counted by the proxy (bytes: response bodies as sent, gzip).\n\n")
		p("| Measured on | Phase | Shards | Cluster | Calls | Seconds | Intervals | Requests/interval | Requests/s | Sent B/interval | Received B/interval | JSON B/interval (max) | Latency ms/interval |\n")
		p("|---|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, x := range r.Poll {
			dash := func(v float64, f string) string {
				if v == 0 {
					return "–"
				}
				return fmt.Sprintf(f, v)
			}
			p("| %s | %s | %d | %s | %s | %.1f | %d | %.2f | %.2f | %s | %.0f | %s (%d) | %s |\n", x.Source, x.Phase, x.Shards, x.Cluster, x.Calls, x.Seconds, x.Intervals,
				x.RequestsPerPoll, x.RequestsPerSecond, dash(x.WireOutPerPoll, "%.0f"), x.WireInPerPoll, dash(x.BodyPerPoll, "%.0f"), x.MaxBodyPerPoll, dash(x.LatencyMillisPerPo, "%.1f"))
		}
		p("\nGoal: one small request per cluster per interval. ")
		for _, x := range r.Poll {
			if !strings.HasPrefix(x.Source, "esmigrate") {
				continue
			}
			verdict := "met"
			if x.RequestsPerPoll > 1.05 {
				verdict = "not met"
			}
			p("%s (%s): %.2f requests per interval, %.1f kB on the wire: %s. ", x.Phase, x.Cluster, x.RequestsPerPoll, (x.WireOutPerPoll+x.WireInPerPoll)/1000, verdict)
		}
		p("\n\n")
	}
	p("## Wizard\n\n")
	if r.UI.NotMeasuredBecause != "" {
		p("Index table (10,000 indices): not measured: %s.\n\n", r.UI.NotMeasuredBecause)
	} else if len(r.UI.Benchmarks) > 0 {
		p("Index table with 10,000 indices (`%s`):\n\n| Benchmark | µs/op | B/op | allocs/op | other |\n|---|---:|---:|---:|---|\n", r.UI.Command)
		for _, u := range r.UI.Benchmarks {
			p("| %s | %.1f | %d | %d | %s |\n", u.Name, u.NsPerOp/1000, u.BytesPerOp, u.AllocsPerOp, u.Extra)
		}
		p("\n")
	}
	if r.Wizard.NotMeasuredBecause != "" {
		p("Start-up and memory: not measured: %s.\n", r.Wizard.NotMeasuredBecause)
	} else if r.Wizard.FirstFrameMillis > 0 {
		p("Start-up to the first frame (tmux, 120×40): %.0f ms. Resident memory: %.1f MB at the first frame, %.1f MB once connected to both clusters (peak %.1f MB). During a run: %s.\n",
			r.Wizard.FirstFrameMillis, r.Wizard.RSSFirstFrameMB, r.Wizard.RSSConnectedMB, r.Wizard.PeakRSSMB, r.Wizard.DuringRun)
	}
	p("\nWhole benchmark: %.0f s.\n", r.Seconds)
	return b.String()
}
