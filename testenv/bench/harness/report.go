package main

import (
	"fmt"
	"strings"
)

func mb(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/1e6) }

// num writes an integer with thousands separators (1,000,000).
func num(n int64) string {
	s := itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// rng writes a median with its range: "46.8 (45.1–49.0)"; one run: "46.8 (1 run)".
func rng(s stat, f string, runs int) string {
	if runs <= 1 {
		return fmt.Sprintf(f+" (1 run)", s.Median)
	}
	return fmt.Sprintf(f+" ("+f+"–"+f+")", s.Median, s.Min, s.Max)
}

func measured(r rowResult) int {
	n := 0
	for _, x := range r.Runs {
		if x.Error == "" {
			n++
		}
	}
	return n
}

// rowNumbers numbers the rows of a results file 1..n, as the tables show them.
func rowNumbers(rows []rowResult) map[string]int {
	n := map[string]int{}
	for i, r := range rows {
		n[r.Key] = i + 1
	}
	return n
}

// migrationTables renders every table of the results with the rows that belong to it, the notes on data loss,
// and the summary of the ratios (like with like: a row is compared only with rows of its own table).
func migrationTables(r results, heading string) string {
	var b strings.Builder
	p := func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }
	nums := rowNumbers(r.Rows)
	var notes []string
	for _, t := range tables {
		if t.Key == "live" {
			p("%s", liveTable(r, heading, nums))
			continue
		}
		var rows []rowResult
		for _, x := range r.Rows {
			if x.Table == t.Key {
				rows = append(rows, x)
			}
		}
		if len(rows) == 0 {
			continue
		}
		p("%s %s\n\n%s\n\n", heading, t.Title, t.Text)
		p("| # | Method | Wall s, median (min–max) | × floor (min–max) | MB/s | Requests source / target | Orchestrator CPU s | Peak RSS MB | Clusters CPU s | Documents lost |\n")
		p("|---|---|---:|---|---:|---:|---:|---:|---:|---|\n")
		for _, x := range rows {
			n := nums[x.Key]
			if x.NotMeasuredBecause != "" {
				p("| %d | %s | not measured: %s | | | | | | | |\n", n, x.Name, x.NotMeasuredBecause)
				continue
			}
			runs := measured(x)
			if runs == 0 {
				p("| %d | %s | every run failed (see the results file) | | | | | | | |\n", n, x.Name)
				continue
			}
			ratio := "floor"
			if x.Floor != "" && x.Ratio.Median > 0 {
				ratio = fmt.Sprintf("%.2f× (%d)", x.Ratio.Median, nums[x.Floor])
				if runs > 1 && x.Ratio.Max > 0 {
					ratio = fmt.Sprintf("%.2f× (%d) (%.2f–%.2f)", x.Ratio.Median, nums[x.Floor], x.Ratio.Min, x.Ratio.Max)
				}
			}
			lost := "0"
			if x.LossRuns > 0 {
				notes = append(notes, fmt.Sprintf("(%d) %s lost documents in %d of %d runs (at most %s of %s) and reported success; its logs: %s.",
					n, x.Key, x.LossRuns, runs, num(x.MaxMissing), num(x.Docs), strings.Join(x.LossCause, "; ")))
				lost = fmt.Sprintf("**up to %s in %d of %d runs** (note %d)", num(x.MaxMissing), x.LossRuns, runs, len(notes))
			}
			if x.Errors > 0 {
				lost += fmt.Sprintf("; %d run(s) failed", x.Errors)
			}
			p("| %d | %s | %s | %s | %.1f | %s / %s | %.2f | %.0f | %.0f | %s |\n", n, x.Name, rng(x.Wall, "%.1f", runs), ratio, x.MBPerSecond,
				num(int64(x.SourceRequests.Median)), num(int64(x.TargetRequests.Median)), x.CPU.Median, x.PeakRSSMB.Median, x.ClusterCPU.Median, lost)
		}
		p("\n")
		for _, line := range summary(r.Rows, t.Key, nums) {
			p("- %s\n", line)
		}
		p("\n")
	}
	for i, n := range notes {
		p("Note %d: %s\n\n", i+1, n)
	}
	return b.String()
}

// summary states, for one table, each of our rows against its floor, and the first of them (esmigrate with
// separate shares) against every other contender of the same table.
func summary(rows []rowResult, tableKey string, nums map[string]int) []string {
	var out []string
	var ours []rowResult
	by := map[string]rowResult{}
	for _, x := range rows {
		by[x.Key] = x
	}
	for _, x := range rows {
		if x.Table != tableKey || x.Wall.Median <= 0 {
			continue
		}
		if strings.HasPrefix(x.Key, "esmigrate") && x.Floor != "" {
			ours = append(ours, x)
			if f, ok := by[x.Floor]; ok && x.Ratio.Median > 0 {
				out = append(out, fmt.Sprintf("%s (%d) takes %.2f× the time of its floor, %s (%d): %+.1f s.", x.Key, nums[x.Key], x.Ratio.Median,
					f.Key, nums[f.Key], x.Wall.Median-f.Wall.Median))
			}
		}
	}
	if len(ours) == 0 {
		return out
	}
	e := ours[0]
	for _, x := range rows {
		if x.Table != tableKey || x.Wall.Median <= 0 || strings.HasPrefix(x.Key, "esmigrate") || strings.HasPrefix(x.Key, "bare") {
			continue
		}
		out = append(out, fmt.Sprintf("%s (%d) is %.1f× as fast as %s (%d).", e.Key, nums[e.Key], x.Wall.Median/e.Wall.Median, x.Key, nums[x.Key]))
	}
	return out
}

// pollTable renders the polling measurements.
func pollTable(r results) string {
	var b strings.Builder
	p := func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }
	p("| Measured on | Phase | Shards | Cluster | Calls | Seconds | Polls | Requests | Requests per interval of wall time | Requests per poll | Received B per poll | JSON B per poll (max) |\n")
	p("|---|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|\n")
	dash := func(v float64, f string) string {
		if v == 0 {
			return "–"
		}
		return fmt.Sprintf(f, v)
	}
	for _, x := range r.Poll {
		p("| %s | %s | %d | %s | %s | %.1f | %d | %d | %.2f | %.2f | %.0f | %s (%d) |\n", x.Source, x.Phase, x.Shards, x.Cluster, x.Calls, x.Seconds, x.Polls,
			x.Requests, x.RequestsPerInterval, x.RequestsPerPoll, x.WireInPerPoll, dash(x.BodyPerPoll, "%.0f"), x.MaxBodyPerPoll)
	}
	return b.String()
}

// header is the line that says where and when the results were measured.
func header(r results) string {
	runs := fmt.Sprintf("%d runs per row, in alternating order", r.Runs)
	if r.Runs == 1 {
		runs = "1 run per row"
	}
	s := fmt.Sprintf("%s, commit %s; %s. Machine: %d CPUs (%s), %s RAM, disk %s; Linux %s, %s",
		r.Date, r.Commit, runs, r.Machine.CPUs, r.Machine.CPUModel, r.Machine.MemoryGB, r.Machine.Disk, r.Machine.Kernel, r.Machine.Go)
	if r.Machine.Node != "" {
		s += ", Node " + r.Machine.Node
	}
	s += fmt.Sprintf(". Load average %.2f / %.2f / %.2f before, %.2f / %.2f / %.2f after", r.LoadBefore[0], r.LoadBefore[1], r.LoadBefore[2],
		r.LoadAfter[0], r.LoadAfter[1], r.LoadAfter[2])
	if r.RowSeconds > 0 {
		s += fmt.Sprintf("; other work on the machine used %.0f CPU s during the %.0f s of the migration rows (%.0f%% of one core)",
			r.OtherCPU, r.RowSeconds, 100*r.OtherCPU/r.RowSeconds)
	}
	s += ". Clusters: " + r.Clusters + "."
	if r.Partial != "" {
		s += " **Partial run (" + r.Partial + "): not for publishing.**"
	}
	return s
}

func dataLine(r results) string {
	s := fmt.Sprintf("Data (`testenv/bench/gen`, seed %d): %d indices, %s documents (top level), %s primary store", r.Seed, len(r.Data.Indices), num(r.Data.Docs), mb(r.Data.StoreBytes))
	if r.Data.GenSeconds > 0 {
		s += fmt.Sprintf(", generated in %.0f s", r.Data.GenSeconds)
	}
	return s + "."
}

// renderMarkdown is results/latest*.md: everything the run measured.
func renderMarkdown(r results) string {
	var b strings.Builder
	p := func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }
	p("# esmigrate benchmarks (%s size)\n\n%s\n\n%s\n\n", r.Size, header(r), dataLine(r))
	if len(r.Rows) > 0 {
		p("## Migration, side by side\n\n")
		p("Every contender moves the same indices from the source to an empty target, talking to the clusters directly (no proxy). ")
		p("Wall time: median of the runs and the range; × floor: the median of the rounds' ratios (a run over the floor's run of the same round), and the lowest and highest of them. ")
		p("Requests: counted by each cluster (`_nodes/stats/http`, every connection opened during the run). ")
		p("Orchestrator CPU and peak memory: `/usr/bin/time -v` of the process tree that drives the migration (esmigrate; the shell with curl/cp; curl; node). ")
		p("Clusters CPU: both Elasticsearch JVMs during the run. The target's document count of every index is compared with the source's after each run.\n\n")
		p("%s", migrationTables(r, "###"))
		p("Settings of each row:\n\n")
		nums := rowNumbers(r.Rows)
		for _, x := range r.Rows {
			p("%d. `%s` (%s): %s.\n", nums[x.Key], x.Key, x.Setting, x.Notes)
		}
		p("\nRuns (wall s, in the order they ran; other CPU s: the rest of the machine during the run):\n\n| Row | Commit, date | Runs |\n|---|---|---|\n")
		for _, x := range r.Rows {
			var parts []string
			for _, y := range x.Runs {
				s := fmt.Sprintf("round %d #%d: %.1f s (other CPU %.0f s, load %.2f)", y.Round, y.Position, y.WallSeconds, y.OtherCPUSeconds, y.Load1)
				if y.Error != "" {
					s = fmt.Sprintf("round %d #%d: failed: %.200s", y.Round, y.Position, strings.ReplaceAll(y.Error, "\n", " "))
				}
				parts = append(parts, s)
			}
			p("| %s | %s, %s | %s |\n", x.Key, x.Commit, x.Date, strings.Join(parts, "; "))
		}
		p("\n")
	}
	if len(r.Copy) > 0 {
		p("## Repository copy\n\n")
		p("The same repository copied into an empty directory (first run), then again with nothing changed (second run). Ratio: the tool's time over esmigrate's in the same run (below 1: the tool is faster). Page cache warm. One run each.\n\n")
		p("| Repository | Files | Size | Tool | Run | Seconds | Ratio | Note |\n|---|---:|---:|---|---|---:|---:|---|\n")
		for _, c := range r.Copy {
			p("| %s | %d | %s | %s | %s | %.3f | %.2f | %s |\n", c.Repository, c.Files, mb(c.Bytes), c.Tool, c.Run, c.Seconds, c.Ratio, c.Note)
		}
		p("\n")
	}
	if len(r.Poll) > 0 {
		p("## Progress polling\n\n")
		p("Following a snapshot (source) and a restore (target) of many small shards, two ways: the esclient calls the engine makes per poll, driven by the harness once per interval on an `esclient.Client` with the engine's transport settings (bytes on the wire include HTTP headers); and the esmigrate binary itself, every request it sent to that cluster from the request that started the phase to the poll that saw it done, counted by a proxy (control requests only: the data moves through the shares). ")
		p("Requests per interval of wall time: requests ÷ (phase seconds ÷ the configured interval). Goal: one small request per cluster per interval.\n\n")
		p("%s\n", pollTable(r))
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
	p("%s", tableMarkdown(r.Table))
	if r.Wizard.NotMeasuredBecause != "" {
		p("Start-up and memory: not measured: %s.\n", r.Wizard.NotMeasuredBecause)
	} else if r.Wizard.FirstFrameMillis > 0 {
		p("Start-up to the first frame (tmux, 120×40): %.0f ms. Resident memory: %.1f MB at the first frame, %.1f MB once connected to both clusters (peak %.1f MB). During a run: %s.\n",
			r.Wizard.FirstFrameMillis, r.Wizard.RSSFirstFrameMB, r.Wizard.RSSConnectedMB, r.Wizard.PeakRSSMB, r.Wizard.DuringRun)
	}
	p("\nWhole benchmark: %.0f s.\n", r.Seconds)
	return b.String()
}
