package steps

import (
	"context"
	"errors"
	"sort"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/i18n"
)

// What a migration does besides the indices, wired into a run: the metadata step (templates, pipelines,
// policies and scripts, steps/metadata.go) and the lifecycle remedy (pausing ILM on the target,
// steps/lifecycle.go) before the batches; their checks in the pre-flight, with the reindex checks
// (steps/reindex.go); their state in the state file, and their outcome in the report.

// MetadataState is the metadata step's record in the state file: once done it is never done again, so that a
// resumed migration does not copy twice (a step stopped half-way is done again: items already copied are then
// found identical on the target, and no request is sent for them).
type MetadataState struct {
	Done bool `json:"done"`
	// OverwriteConfirmed keeps the operator's confirmation of overwriting conflicts (the wizard's typed one, or
	// --allow-metadata-overwrite) for a resume of this migration.
	OverwriteConfirmed bool            `json:"overwrite_confirmed,omitempty"`
	Result             *MetadataResult `json:"result,omitempty"`
}

// logMsg sends a log event whose text is a message.
func (e *Engine) logMsg(phase Phase, level Level, m i18n.Msg) {
	e.emit(Event{Kind: KindLog, Level: level, Phase: phase, Batches: e.batches(), Msg: m})
}

// BeyondIndicesChecks are the pre-flight's checks of what a migration moves besides the indices' data: the
// metadata the selected indices use (and the step that copies it), the lifecycle of the restored indices, and
// the reindex path of the indices the target cannot restore. SelectionChecks runs them last.
func (e *Engine) BeyondIndicesChecks(ctx context.Context, src, dst ClusterSummary, sel Selection) []Check {
	var out []Check
	add := func(c Check) { out = append(out, e.report(ctx, c)) }
	inv, err := e.InspectMetadata(ctx, src, dst, sel)
	if err != nil {
		if ctx.Err() != nil {
			return out
		}
		add(newCheck("metadata", Warn, i18n.M("steps.meta.check.title"), i18n.M("steps.meta.check.unread", err),
			i18n.M("steps.meta.check.unread.fix")))
		inv = nil
	} else {
		e.inv = inv
		add(MetadataCheck(inv, e.plan.Metadata, e.opts.AllowMetadataOverwrite))
	}
	out = append(out, e.LifecycleChecks(ctx, src, dst, sel, inv)...)
	if need := NeedsReindex(src, dst, sel); len(need) > 0 {
		out = append(out, e.ReindexChecks(ctx, dst, need)...)
	}
	return out
}

// MetadataCheck says, without any request, what the metadata step will do for the selected indices, or, when
// the plan does not copy metadata, what the selected indices use that the target lacks (the template that
// creates tomorrow's daily index, the pipeline its writers name).
func MetadataCheck(inv *MetadataInventory, mp MetadataPlan, confirmed bool) Check {
	title := i18n.M("steps.meta.check.title")
	if !mp.Copy {
		var absent, differ []string
		for _, en := range inv.Entries {
			if len(en.UsedBy) == 0 || !en.Builtin.IsZero() {
				continue
			}
			switch en.State {
			case MetaAbsent:
				absent = append(absent, en.ID())
			case MetaDifferent:
				differ = append(differ, en.ID())
			}
		}
		if len(absent) == 0 && len(differ) == 0 {
			return newCheck("metadata", OK, title, i18n.M("steps.meta.check.off.ok"), i18n.Msg{})
		}
		ev := i18n.M("steps.meta.check.off.absent", len(absent), abbreviate(absent, 6))
		if len(absent) == 0 {
			ev = i18n.M("steps.meta.check.off.differ", len(differ), abbreviate(differ, 6))
		} else if len(differ) > 0 {
			ev = i18n.M("steps.meta.check.off.both", len(absent), abbreviate(absent, 6), len(differ), abbreviate(differ, 6))
		}
		return newCheck("metadata", Warn, title, ev, i18n.M("steps.meta.check.off.fix"))
	}
	var create, same, over, kept, unconfirmed, refused []string
	for _, en := range inv.Selected() {
		switch en.State {
		case MetaAbsent:
			create = append(create, en.ID())
		case MetaIdentical:
			same = append(same, en.ID())
		case MetaDifferent:
			switch {
			case mp.overwrites(en.Kind, en.Name) && confirmed:
				over = append(over, en.ID())
			case mp.overwrites(en.Kind, en.Name):
				unconfirmed = append(unconfirmed, en.ID())
			default:
				kept = append(kept, en.ID())
			}
		case MetaNotCopyable:
			refused = append(refused, en.ID())
		}
	}
	ev := i18n.M("steps.meta.check.on", len(create)+len(same)+len(over)+len(kept)+len(unconfirmed)+len(refused),
		len(create), len(same), len(over))
	if len(over) > 0 {
		ev = i18n.M("steps.meta.check.on.over", ev, abbreviate(over, 6))
	}
	if len(kept)+len(unconfirmed)+len(refused) == 0 {
		return newCheck("metadata", OK, title, ev, i18n.Msg{})
	}
	var fixes []i18n.Msg
	if len(kept) > 0 {
		ev = i18n.M("steps.meta.check.on.kept", ev, len(kept), abbreviate(kept, 6))
		fixes = append(fixes, i18n.M("steps.meta.check.on.kept.fix"))
	}
	if len(unconfirmed) > 0 {
		ev = i18n.M("steps.meta.check.on.unconfirmed", ev, len(unconfirmed), abbreviate(unconfirmed, 6))
		fixes = append(fixes, i18n.M("steps.meta.check.on.unconfirmed.fix"))
	}
	if len(refused) > 0 {
		ev = i18n.M("steps.meta.check.on.refused", ev, len(refused), abbreviate(refused, 6))
		fixes = append(fixes, i18n.M("steps.meta.check.on.refused.fix"))
	}
	fix := fixes[0]
	for _, f := range fixes[1:] {
		fix = i18n.M("steps.meta.and", fix, f)
	}
	return newCheck("metadata", Warn, title, ev, fix)
}

// beforeBatches is what a run does once, after the repositories and before the first batch: the metadata step,
// then the lifecycle pause. Both come before the first restore so that the templates and pipelines the indices
// use exist when the indices arrive (a writer that indexes into a restored index through its default pipeline,
// or creates tomorrow's daily index from its template, finds them), and so that ILM is stopped before an
// index it could delete at once arrives. They come before the first snapshot rather than right before the
// first restore because this is the one point of a run that is not per batch: batches may overlap (their
// snapshots, copies and restores run side by side), and a failure here stops the run before anything was
// taken or restored.
func (e *Engine) beforeBatches(ctx context.Context) error {
	if err := e.metadataStep(ctx); err != nil {
		return err
	}
	return e.pauseILMStep(ctx)
}

// metadataStep copies the chosen metadata, once per migration.
func (e *Engine) metadataStep(ctx context.Context) error {
	if !e.plan.Metadata.Copy || e.state == nil {
		return nil
	}
	st := e.state.Metadata
	if st != nil && st.Done {
		e.logMsg(PhaseMetadata, LevelInfo, i18n.M("steps.meta.run.done", st.Result.Summary()))
		return nil
	}
	if st == nil {
		st = &MetadataState{}
		e.state.Metadata = st
	}
	st.OverwriteConfirmed = st.OverwriteConfirmed || e.opts.AllowMetadataOverwrite
	inv := e.inv
	if inv == nil {
		// A resumed run (the pre-flight ran in another process): the selection and the inventory again.
		var all []esclient.Index
		if err := e.retry(ctx, PhaseMetadata, 0, func() (err error) { all, err = e.src.Indices(ctx); return }); err != nil {
			return err
		}
		sel := Select(all, e.plan)
		if err := e.retry(ctx, PhaseMetadata, 0, func() (err error) { inv, err = e.InspectMetadata(ctx, e.srcSum, e.dstSum, sel); return }); err != nil {
			return err
		}
	}
	var res *MetadataResult
	if err := e.retry(ctx, PhaseMetadata, 0, func() (err error) { res, err = e.CopyMetadata(ctx, inv, st.OverwriteConfirmed); return }); err != nil {
		return err
	}
	st.Done, st.Result = true, res
	return e.save()
}

// pauseILMStep stops ILM on the target when the plan asks for it (restore.pause_ilm), once per migration.
func (e *Engine) pauseILMStep(ctx context.Context) error {
	if !e.plan.Restore.PauseILM || e.state == nil || e.state.ILMStopped {
		return nil
	}
	var mode string
	err := e.retry(ctx, PhaseMetadata, 0, func() (err error) { mode, err = e.dst.ILMStatus(ctx); return })
	var na *esclient.UnavailableError
	switch {
	case errors.As(err, &na):
		e.logMsg(PhaseMetadata, LevelWarn, i18n.M("steps.ilm.pause.none", na.Reason))
		return nil
	case err != nil:
		return err
	case mode == "STOPPED" || mode == "STOPPING":
		e.logMsg(PhaseMetadata, LevelInfo, i18n.M("steps.ilm.pause.already", mode))
	default:
		if err := e.PauseLifecycle(ctx); err != nil {
			return err
		}
	}
	e.state.ILMStopped = true
	return e.save()
}

// metadataReport puts the metadata step's outcome and the lifecycle pause into the report.
func (e *Engine) metadataReport(r *Report) {
	if st := e.state; st != nil {
		if st.Metadata != nil {
			r.Metadata = st.Metadata.Result
		}
		r.ILMStopped = st.ILMStopped
	}
}

// ilmStoppedMarkdown is the report's note on a lifecycle the migration paused.
func (r *Report) ilmStoppedMarkdown(l *i18n.Localizer) string {
	if !r.ILMStopped {
		return ""
	}
	return "\n## " + l.T("steps.ilm.report.title") + "\n\n" + l.T("steps.ilm.report.stopped") + "\n"
}

// MetadataRequests are the requests the metadata step would send for the chosen items as the inventory found
// the target (the wizard's Metadata screen and the review show them as curl): one PUT per item to create or
// overwrite, none for an item already identical, skipped or not copyable.
func (e *Engine) MetadataRequests(inv *MetadataInventory, confirmed bool) []PlannedRequest {
	var out []PlannedRequest
	if inv == nil {
		return nil
	}
	chosen := inv.Selected()
	sort.SliceStable(chosen, func(i, j int) bool { return kindRank(chosen[i].Kind) < kindRank(chosen[j].Kind) })
	for _, en := range chosen {
		var overwrite bool
		switch en.State {
		case MetaAbsent:
		case MetaDifferent:
			if !e.plan.Metadata.overwrites(en.Kind, en.Name) || !confirmed {
				continue
			}
			overwrite = true
		default:
			continue
		}
		what := i18n.M("steps.meta.req.create", en.Kind.TitleMsg(), en.Name)
		if overwrite {
			what = i18n.M("steps.meta.req.overwrite", en.Kind.TitleMsg(), en.Name)
		}
		out = append(out, PlannedRequest{Phase: PhaseMetadata, What: what,
			Curl: e.dst.Curl(esclient.PutMetaRequest(en.Put, overwrite, en.Target))})
	}
	return out
}
