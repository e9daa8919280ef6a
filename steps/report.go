package steps

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/esmigrate/esmigrate/i18n"
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
	// Live is a live migration's catch-up rounds and cut-over, with the write freeze (nil: none); live.go.
	Live *LiveReport `json:"live,omitempty"`
	// ILMStopped: the migration stopped ILM on the target (restore.pause_ilm), and it is still for the operator
	// to start it again.
	ILMStopped bool `json:"ilm_stopped,omitempty"`
}

// ReportRow is one index's outcome.
type ReportRow struct {
	Batch        int      `json:"batch"`
	Snapshot     string   `json:"snapshot"`
	Index        string   `json:"index"`
	Target       string   `json:"target"`
	SourceDocs   int64    `json:"source_docs"`
	TargetDocs   int64    `json:"target_docs"`
	PrimaryBytes int64    `json:"primary_bytes"`
	Health       string   `json:"health,omitempty"`
	Result       string   `json:"result"`
	Reason       string   `json:"reason,omitempty"`       // English
	ReasonMsg    i18n.Msg `json:"reason_msg,omitzero"`    // the same as a message
	Verification string   `json:"verification,omitempty"` // what the result rests on: count, seqno or content
	// Reindexed: the target could not restore this index; it was moved by _reindex from remote.
	Reindexed  bool                    `json:"reindexed,omitempty"`
	ChangedOps int64                   `json:"changed_ops,omitempty"` // operations on the source after the snapshot
	Content    *ContentResult          `json:"content,omitempty"`
	Times      map[Phase]time.Duration `json:"-"`
	Seconds    map[Phase]float64       `json:"seconds"`
	Phases     map[Phase]PhaseTime     `json:"-"`
}

// resultText is a row's result with what it rests on: "verified (seqno)".
func resultText(l *i18n.Localizer, row ReportRow) string {
	if row.Result == ResultVerified && row.Verification != "" {
		return l.T("report.result.by", l.T("rep.res."+row.Result), row.Verification)
	}
	if l.Has("rep.res." + row.Result) {
		return l.T("rep.res." + row.Result)
	}
	return row.Result
}

// Why is the row's reason as a message.
func (row ReportRow) Why() i18n.Msg {
	if !row.ReasonMsg.IsZero() {
		return row.ReasonMsg
	}
	return i18n.Text(row.Reason)
}

func (e *Engine) buildReport() *Report {
	st := e.state
	r := &Report{Generated: e.opts.Now(), Repository: e.plan.Repository.Name, Shared: e.plan.Repository.Shared, Verify: e.plan.Verify}
	if st == nil {
		return r
	}
	r.Source, r.Target, r.Batches, r.Finished = st.Source, st.Target, len(st.Batches), st.Finished
	r.Skipped = st.LeftOut
	r.Live = e.liveReport()
	e.metadataReport(r)
	for _, b := range st.Batches {
		for _, ix := range b.Indices {
			snap := b.Snapshot
			if ix.CaughtUpFrom != "" {
				snap = ix.CaughtUpFrom // a catch-up round restored it last (live.go)
			}
			row := ReportRow{Batch: b.Number, Snapshot: snap, Index: ix.Name, Target: ix.Target, SourceDocs: ix.SourceDocs,
				TargetDocs: ix.TargetDocs, PrimaryBytes: ix.PrimaryBytes, Health: ix.Health, Result: ix.Result, Reason: ix.Reason,
				ReasonMsg: ix.ReasonMsg, Verification: ix.Verification, ChangedOps: ix.ChangedOps, Content: ix.Content, Reindexed: b.Reindex,
				Times: map[Phase]time.Duration{}, Seconds: map[Phase]float64{}}
			if ix.Result == ResultPending && b.Error != "" {
				row.Reason, row.ReasonMsg = b.Error, b.ErrorMsg
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
func (r *Report) Summary() string { return r.SummaryMsg().String() }

// SummaryMsg is Summary as a message.
func (r *Report) SummaryMsg() i18n.Msg {
	parts := []i18n.Msg{i18n.M("report.sum.verified", r.Verified)}
	for _, p := range []struct {
		n      int
		key    string
		always bool
	}{{r.Changed, "changed", false}, {r.Mismatched, "mismatch", true}, {r.Unverified, "unverified", false}, {r.Failed, "failed", true}, {r.Pending, "pending", true}} {
		if p.n > 0 || p.always {
			parts = append(parts, i18n.M("report.sum."+p.key, p.n))
		}
	}
	return i18n.List("list.comma", parts)
}

// VerifyModeText says in words what a verification mode proves.
func VerifyModeText(mode string) string { return VerifyModeMsg(mode).String() }

// VerifyModeMsg is VerifyModeText as a message.
func VerifyModeMsg(mode string) i18n.Msg {
	switch mode {
	case VerifyCount:
		return i18n.M("report.mode.count")
	case VerifyContent:
		return i18n.M("report.mode.content")
	default:
		return i18n.M("report.mode.seqno")
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
	if err := writeAtomic(r.Markdown, []byte(r.MarkdownIn(i18n.New(e.opts.Lang))), false); err != nil {
		return err
	}
	e.say(PhaseReport, 0, LevelInfo, "report.written", r.Markdown, r.JSON)
	return nil
}

// MarkdownText renders the report for people, in English.
func (r *Report) MarkdownText() string { return r.MarkdownIn(i18n.English) }

// MarkdownIn renders the report for people in l's language (the JSON report keeps keys and English).
func (r *Report) MarkdownIn(l *i18n.Localizer) string {
	var b strings.Builder
	line := func(key string, args ...any) { b.WriteString(l.T(key, args...) + "\n") }
	line("report.md.title")
	b.WriteString("\n")
	line("report.md.generated", r.Generated.UTC().Format(time.RFC3339))
	line("report.md.source", r.Source.Name, r.Source.Product)
	line("report.md.target", r.Target.Name, r.Target.Product)
	storage := i18n.M("report.md.copied")
	if r.Shared {
		storage = i18n.M("report.md.shared")
	}
	line("report.md.repository", r.Repository, storage)
	line("report.md.verification", VerifyModeMsg(r.Verify))
	line("report.md.result", r.SummaryMsg(), r.Batches)
	b.WriteString("\n")
	line("report.md.docs")
	b.WriteString("\n")
	line("report.md.header")
	b.WriteString("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|\n")
	for _, row := range r.Rows {
		d := func(p Phase) string {
			if t := row.Times[p]; t > 0 {
				return t.Round(time.Millisecond).String()
			}
			return "-"
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %d | %d | %s | %s | %s | %s | %s | %s | %s |\n", row.Batch, row.Index, row.Target,
			row.SourceDocs, row.TargetDocs, HumanBytes(row.PrimaryBytes), d(PhaseSnapshot), d(PhaseTransfer), d(PhaseRestore),
			d(PhaseVerify), row.Health, resultText(l, row))
	}
	// The reindexed indices, by how they were verified: by count, or by content; never by sequence numbers.
	reindexed := map[bool][]string{}
	for _, row := range r.Rows {
		if row.Reindexed {
			took := "-"
			if t := row.Times[PhaseReindex]; t > 0 {
				took = t.Round(time.Millisecond).String()
			}
			byContent := row.Verification == VerifyContent
			reindexed[byContent] = append(reindexed[byContent], fmt.Sprintf("%s → %s (%s)", row.Index, row.Target, took))
		}
	}
	if rx := reindexed[false]; len(rx) > 0 {
		b.WriteString("\n" + l.T("rx.report", len(rx), strings.Join(rx, ", ")) + "\n")
	}
	if rx := reindexed[true]; len(rx) > 0 {
		b.WriteString("\n" + l.T("rx.report.content", len(rx), strings.Join(rx, ", ")) + "\n")
	}
	var problems []string
	for _, row := range r.Rows {
		if why := l.Msg(row.Why()); why != "" {
			problems = append(problems, fmt.Sprintf("- **%s**: %s", row.Index, why))
		}
		if c := row.Content; c != nil && len(c.First) > 0 {
			for _, d := range c.First {
				id := "`" + d.ID + "`"
				if d.Routing != "" {
					id = l.T("report.md.routing", id, "`"+d.Routing+"`")
				}
				problems = append(problems, "  - "+l.T("index.reason", id, l.Msg(DiffMsg(d.What))))
			}
			if c.Differences > int64(len(c.First)) {
				n := c.Differences - int64(len(c.First))
				if c.Truncated {
					problems = append(problems, "  - "+l.T("report.md.moreplus", n))
				} else {
					problems = append(problems, "  - "+l.T("report.md.more", n))
				}
			}
		}
	}
	if len(problems) > 0 {
		fmt.Fprintf(&b, "\n## %s\n\n%s\n", l.T("report.md.problems"), strings.Join(problems, "\n"))
	}
	b.WriteString(r.Metadata.MarkdownIn(l))
	b.WriteString(r.Live.MarkdownIn(l))
	b.WriteString(r.ilmStoppedMarkdown(l))
	if len(r.Skipped) > 0 {
		fmt.Fprintf(&b, "\n## %s\n\n", l.T("report.md.leftout"))
		for _, s := range r.Skipped {
			fmt.Fprintf(&b, "- %s\n", l.T("index.reason", s.Index, s.Why()))
		}
	}
	return b.String()
}
