package steps

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Report is the outcome of a migration: one row per index, and where the report files are.
type Report struct {
	Generated  time.Time   `json:"generated"`
	Source     ClusterID   `json:"source"`
	Target     ClusterID   `json:"target"`
	Repository string      `json:"repository"`
	Shared     bool        `json:"shared_storage"`
	Batches    int         `json:"batches"`
	Finished   bool        `json:"finished"`
	Rows       []ReportRow `json:"indices"`
	Skipped    []Skip      `json:"skipped,omitempty"`
	Verify     string      `json:"verify"` // the verification mode: count, seqno or content
	Verified   int         `json:"verified"`
	Changed    int         `json:"changed"`    // the source took operations after the snapshot
	Mismatched int         `json:"mismatched"` // the target differs (counts, content)
	Unverified int         `json:"unverified"` // the verification asked for could not be done
	Failed     int         `json:"failed"`
	Pending    int         `json:"pending"`
	JSON       string      `json:"-"` // where the JSON report was written
	Markdown   string      `json:"-"` // where the Markdown report was written

	// Metadata is the metadata step's outcome (nil when the step did not run); steps/metadata.go.
	Metadata *MetadataResult `json:"metadata,omitempty"`
}

// ReportRow is one index's outcome.
type ReportRow struct {
	Batch        int                     `json:"batch"`
	Snapshot     string                  `json:"snapshot"`
	Index        string                  `json:"index"`
	Target       string                  `json:"target"`
	SourceDocs   int64                   `json:"source_docs"`
	TargetDocs   int64                   `json:"target_docs"`
	PrimaryBytes int64                   `json:"primary_bytes"`
	Health       string                  `json:"health,omitempty"`
	Result       string                  `json:"result"`
	Reason       string                  `json:"reason,omitempty"`
	Verification string                  `json:"verification,omitempty"` // what the result rests on: count, seqno or content
	ChangedOps   int64                   `json:"changed_ops,omitempty"`  // operations on the source after the snapshot
	Content      *ContentResult          `json:"content,omitempty"`
	Times        map[Phase]time.Duration `json:"-"`
	Seconds      map[Phase]float64       `json:"seconds"`
	Phases       map[Phase]PhaseTime     `json:"-"`
}

// resultText is a row's result with what it rests on: "verified (seqno)".
func resultText(row ReportRow) string {
	if row.Result == ResultVerified && row.Verification != "" {
		return row.Result + " (" + row.Verification + ")"
	}
	return row.Result
}

func (e *Engine) buildReport() *Report {
	st := e.state
	r := &Report{Generated: e.opts.Now(), Repository: e.plan.Repository.Name, Shared: e.plan.Repository.Shared, Verify: e.plan.Verify}
	if st == nil {
		return r
	}
	r.Source, r.Target, r.Batches, r.Finished = st.Source, st.Target, len(st.Batches), st.Finished
	r.Skipped = st.LeftOut
	for _, b := range st.Batches {
		for _, ix := range b.Indices {
			row := ReportRow{Batch: b.Number, Snapshot: b.Snapshot, Index: ix.Name, Target: ix.Target, SourceDocs: ix.SourceDocs,
				TargetDocs: ix.TargetDocs, PrimaryBytes: ix.PrimaryBytes, Health: ix.Health, Result: ix.Result, Reason: ix.Reason,
				Verification: ix.Verification, ChangedOps: ix.ChangedOps, Content: ix.Content,
				Times: map[Phase]time.Duration{}, Seconds: map[Phase]float64{}}
			if ix.Result == ResultPending && b.Error != "" {
				row.Reason = b.Error
			}
			for p, t := range b.Times {
				row.Times[p] = t.Duration()
				row.Seconds[p] = t.Duration().Seconds()
			}
			switch ix.Result {
			case ResultVerified:
				r.Verified++
			case ResultMismatch:
				r.Mismatched++
			case ResultChanged:
				r.Changed++
			case ResultUnverified:
				r.Unverified++
			case ResultFailed:
				r.Failed++
			default:
				r.Pending++
			}
			r.Rows = append(r.Rows, row)
		}
	}
	return r
}

// Summary is the report's outcome in one line: "3 verified, 1 changed since its snapshot, ...".
func (r *Report) Summary() string {
	parts := []string{fmt.Sprintf("%d verified", r.Verified)}
	for _, p := range []struct {
		n    int
		what string
	}{{r.Changed, "changed since the snapshot"}, {r.Mismatched, "mismatched"}, {r.Unverified, "not verifiable"}, {r.Failed, "failed"}, {r.Pending, "pending"}} {
		if p.n > 0 || p.what == "failed" || p.what == "pending" || p.what == "mismatched" {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.what))
		}
	}
	return strings.Join(parts, ", ")
}

// VerifyModeText says in words what a verification mode proves.
func VerifyModeText(mode string) string {
	switch mode {
	case VerifyCount:
		return "count: equal numbers of top-level documents (an update, or a delete and an insert, after the snapshot is not seen)"
	case VerifyContent:
		return "content: every document's id, routing and _source read and compared on both sides, plus sequence numbers and counts"
	default:
		return "seqno: equal sequence numbers on every primary shard and the same source index as at the snapshot (no operation reached the source after it), plus counts"
	}
}

// writeReport writes the report as JSON and Markdown (mode 0600) into the plan's report directory.
func (e *Engine) writeReport(r *Report) error {
	dir := e.plan.ReportDir
	if dir == "" {
		dir = "."
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	stamp := r.Generated.UTC().Format("20060102-150405")
	r.JSON = filepath.Join(dir, "esmigrate-report-"+stamp+".json")
	r.Markdown = filepath.Join(dir, "esmigrate-report-"+stamp+".md")
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := writeAtomic(r.JSON, b, false); err != nil {
		return err
	}
	if err := writeAtomic(r.Markdown, []byte(r.MarkdownText()), false); err != nil {
		return err
	}
	e.log(PhaseReport, 0, LevelInfo, "report written to %s and %s", r.Markdown, r.JSON)
	return nil
}

// MarkdownText renders the report for people.
func (r *Report) MarkdownText() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# esmigrate report\n\n")
	fmt.Fprintf(&b, "- Generated: %s\n", r.Generated.UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "- Source: %s (%s)\n- Target: %s (%s)\n", r.Source.Name, r.Source.Product, r.Target.Name, r.Target.Product)
	storage := "separate shares (copied)"
	if r.Shared {
		storage = "shared storage (target read-only)"
	}
	fmt.Fprintf(&b, "- Repository: %s, %s\n", r.Repository, storage)
	fmt.Fprintf(&b, "- Verification: %s\n", VerifyModeText(r.Verify))
	fmt.Fprintf(&b, "- Result: %s, in %d batch(es)\n\n", r.Summary(), r.Batches)
	fmt.Fprintf(&b, "Documents are top-level documents, as `_count` counts them (nested documents are not counted).\n\n")
	fmt.Fprintf(&b, "| Batch | Index | Target | Docs source | Docs target | Size | Snapshot | Transfer | Restore | Verify | Health | Result |\n")
	fmt.Fprintf(&b, "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|\n")
	for _, row := range r.Rows {
		d := func(p Phase) string {
			if t := row.Times[p]; t > 0 {
				return t.Round(time.Millisecond).String()
			}
			return "-"
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %d | %d | %s | %s | %s | %s | %s | %s | %s |\n", row.Batch, row.Index, row.Target,
			row.SourceDocs, row.TargetDocs, HumanBytes(row.PrimaryBytes), d(PhaseSnapshot), d(PhaseTransfer), d(PhaseRestore),
			d(PhaseVerify), row.Health, resultText(row))
	}
	var problems []string
	for _, row := range r.Rows {
		if row.Reason != "" {
			problems = append(problems, fmt.Sprintf("- **%s**: %s", row.Index, row.Reason))
		}
		if c := row.Content; c != nil && len(c.First) > 0 {
			for _, d := range c.First {
				id := "`" + d.ID + "`"
				if d.Routing != "" {
					id += " (routing `" + d.Routing + "`)"
				}
				problems = append(problems, fmt.Sprintf("  - %s: %s", id, d.What))
			}
			if c.Differences > int64(len(c.First)) {
				more := fmt.Sprintf("%d", c.Differences-int64(len(c.First)))
				if c.Truncated {
					more += " or more"
				}
				problems = append(problems, "  - and "+more+" other document(s)")
			}
		}
	}
	if len(problems) > 0 {
		fmt.Fprintf(&b, "\n## Problems\n\n%s\n", strings.Join(problems, "\n"))
	}
	b.WriteString(r.Metadata.Markdown())
	if len(r.Skipped) > 0 {
		fmt.Fprintf(&b, "\n## Left out\n\n")
		for _, s := range r.Skipped {
			fmt.Fprintf(&b, "- %s: %s\n", s.Index, s.Reason)
		}
	}
	return b.String()
}
