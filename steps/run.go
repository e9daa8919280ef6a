package steps

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/i18n"
)

// Run carries out the plan from wherever its state file says it stopped: connect, pre-flight (first run only),
// repositories, then every batch through snapshot, transfer, restore, verify and cleanup, and finally the report.
// It returns the report and an error when any index did not verify (or the run stopped).
func (e *Engine) Run(ctx context.Context) (*Report, error) {
	defer e.pauseWatch()()
	// Ctrl-C or a hang-up before the batches start: what failed because of it is not a failure (no "[fail]
	// context canceled" checks), and nothing was started that resume could follow.
	stopped := func(phase Phase, err error) error {
		if ctx.Err() != nil {
			return &StoppedError{Phase: phase, StatePath: e.plan.StateFile, NothingStarted: e.state == nil || len(e.state.Batches) == 0}
		}
		return err
	}
	if !e.opts.DryRun {
		// Every file a run writes, checked before the first request: a link planted at the lock or state file,
		// or a report directory that is a file, stops the run here, before anything changed anywhere.
		if err := CheckOutputs(e.plan); err != nil {
			return nil, err
		}
		store, err := OpenStore(e.plan.StateFile)
		if err != nil {
			return nil, err
		}
		e.store = store
		store.resuming = e.opts.Resuming
		defer store.Close()
		st, err := store.Load(e.plan.Hash())
		switch {
		case errors.Is(err, ErrNoState):
		case err != nil:
			return nil, err
		default:
			e.state = st
		}
	}

	src, dst, err := e.Connect(ctx)
	if err != nil {
		return nil, stopped(PhaseConnect, err)
	}
	e.srcSum, e.dstSum = src, dst
	if e.state != nil {
		if err := e.sameClusters(src, dst); err != nil {
			return nil, err
		}
		e.adoptState()
		if e.state.Live != nil && e.state.Live.Cutover.Active() {
			// A cut-over was running (the write block may be on the source): it goes on (cutover.go).
			return e.resumeCutover(ctx)
		}
	}

	if e.state == nil || len(e.state.Batches) == 0 {
		if err := e.prepare(ctx, src, dst); err != nil {
			return nil, stopped(PhasePreflight, err)
		}
	} else {
		if next := e.nextBatch(); next != nil {
			// Every batch that was under way (two, in a pipeline): each goes on where it was.
			for i := range e.state.Batches {
				if b := &e.state.Batches[i]; inFlight(b) || b == next {
					e.say(PhasePlan, 0, LevelInfo, "steps.resume.batch", e.plan.StateFile, b.Number, len(e.state.Batches), i18n.M("run.phase."+string(b.Phase)))
				}
			}
		}
	}

	// From here on every event carries the estimate of the whole run (estimate.go).
	e.em.plan(e.state, e.plan.Repository.Shared, HintsFor(e.plan, src.DataNodes(), dst.DataNodes()))

	if e.opts.DryRun {
		return nil, stopped(PhasePlan, e.dryRun(ctx))
	}
	if err := e.EnsureRepositories(ctx); err != nil {
		return nil, stopped(PhaseRepository, err)
	}
	if err := e.applyTargetSettings(ctx); err != nil {
		return nil, stopped(PhaseRepository, err)
	}
	// Templates, pipelines, policies, scripts and the lifecycle pause, before the first batch (metadata_run.go).
	if err := e.beforeBatches(ctx); err != nil {
		return nil, stopped(PhaseMetadata, err)
	}

	// The batches, in the two lanes of the pipeline (pipeline.go): the next batch's snapshot runs while the
	// previous one is copied, restored and verified.
	runErr := e.runBatches(ctx)
	var stop *StoppedError
	if errors.As(runErr, &stop) {
		e.emit(Event{Kind: KindLog, Level: LevelWarn, Phase: stop.Phase, Batch: stop.Batch, Batches: e.batches(), Msg: stop.Localize()})
		return e.buildReport(), runErr
	}
	// The target's settings go back to what they were, after a failure too (a stop leaves them: resume goes on).
	if err := e.restoreTargetSettings(ctx); err != nil {
		e.emit(Event{Kind: KindLog, Level: LevelError, Phase: PhaseCleanup, Batches: e.batches(), Msg: i18n.MsgOf(err)})
		if runErr == nil {
			runErr = err
		}
	}
	allDone := true
	for _, b := range e.state.Batches {
		allDone = allDone && b.Done
	}
	e.state.Finished = allDone
	// The report shows the health the indices have now (replicas put back batch by batch may have been built
	// since).
	if err := e.refreshHealth(ctx); err != nil {
		e.say(PhaseReport, 0, LevelWarn, "run.nohealth", err)
	}
	rep := e.buildReport()
	if allDone && runErr == nil && rep.Verified == len(rep.Rows) {
		e.finalCleanup(ctx)
	}
	if err := e.writeReport(rep); err != nil {
		// The report is the operator's record of what verified: not having it is a failure, not a footnote.
		e.say(PhaseReport, 0, LevelError, "report.notwritten", err)
		if runErr == nil {
			runErr = i18n.Errorf("run.noreport", err, e.plan.StateFile, e.plan.ReportDir)
		}
	}
	if err := e.save(); err != nil && runErr == nil {
		runErr = err
	}
	if runErr != nil {
		return rep, runErr
	}
	if rep.Failed > 0 || rep.Mismatched > 0 || rep.Changed > 0 || rep.Unverified > 0 {
		return rep, i18n.Errorf("run.notverified", rep.SummaryMsg(), rep.Markdown)
	}
	return rep, nil
}

// finalCleanup does what the plan's cleanup section asks once every index verified: unregister the
// repositories, and delete the copied repository files (a deletion on the target's share: only with the
// explicit confirmation, AllowTargetDelete). Snapshots were already deleted batch by batch.
func (e *Engine) finalCleanup(ctx context.Context) {
	c := e.plan.Cleanup
	o := CleanupOptions{UnregisterRepositories: c.UnregisterRepositories, DeleteCopiedFiles: c.DeleteCopiedFiles && !e.plan.Repository.Shared}
	if o.DeleteCopiedFiles && !e.opts.AllowTargetDelete {
		e.say(PhaseCleanup, 0, LevelWarn, "run.keepfiles", e.plan.TargetLocalPath())
		o.DeleteCopiedFiles = false
	}
	if !o.UnregisterRepositories && !o.DeleteCopiedFiles {
		return
	}
	if err := e.Cleanup(ctx, o); err != nil {
		e.say(PhaseCleanup, 0, LevelError, "run.cleanupfailed", err)
	}
}

// prepare lists the source indices, selects, runs the pre-flight and plans the batches.
func (e *Engine) prepare(ctx context.Context, src, dst ClusterSummary) error {
	var all []esclient.Index
	if err := e.retry(ctx, PhasePlan, 0, func() (err error) { all, err = e.src.Indices(ctx); return }); err != nil {
		return err
	}
	sel := Select(all, e.plan)
	checks := e.Preflight(ctx, src, dst, sel)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	switch Worst(checks) {
	case Fail:
		return &PreflightError{Checks: Failed(checks)}
	case Warn:
		if !e.opts.AcceptWarnings {
			var warns []Check
			for _, c := range checks {
				if c.Status == Warn {
					warns = append(warns, c)
				}
			}
			return &PreflightError{Checks: warns, Warnings: true}
		}
	}
	batches, reindex := runBatches(e.plan, src, dst, sel.Indices)
	now := e.opts.Now()
	id := NewMigrationID()
	if e.opts.DryRun {
		id = MigrationIDPlaceholder // a dry run starts no migration
	}
	var settings []SettingChange
	if e.state != nil {
		settings = e.state.TargetSettings // a state without batches: what it changed or confirmed stays recorded
	}
	e.state = &State{Version: stateVersion, PlanHash: e.plan.Hash(), MigrationID: id, Plan: e.plan, Created: now, Updated: now,
		Source: clusterID(src), Target: clusterID(dst), LeftOut: sel.Skipped, TargetSettings: settings}
	e.recordTargetConfirmation()
	e.say(PhasePlan, 0, LevelInfo, "run.migration", id, SnapshotName(e.plan, id, 0)[:len(SnapshotName(e.plan, id, 0))-1]+"<batch>")
	for _, b := range batches {
		bs := BatchState{Number: b.Number, Snapshot: SnapshotName(e.plan, id, b.Number), Phase: PhaseSnapshot}
		for _, ix := range b.Indices {
			bs.Indices = append(bs.Indices, IndexState{Name: ix.Name, Target: TargetName(ix.Name, e.plan.Restore),
				PrimaryBytes: ix.PrimaryBytes, Primaries: ix.Primaries, OriginalReplicas: ix.Replicas, Result: ResultPending})
		}
		e.state.Batches = append(e.state.Batches, bs)
		e.say(PhasePlan, 0, LevelInfo, "plan.batch", b.Number, len(b.Indices), HumanBytes(b.PrimaryBytes), fmt.Sprint(b.Names()))
	}
	if len(reindex) > 0 {
		bs := BatchState{Number: len(e.state.Batches) + 1, Phase: PhaseReindex, Reindex: true}
		for _, ix := range reindex {
			bs.Indices = append(bs.Indices, IndexState{Name: ix.Name, Target: TargetName(ix.Name, e.plan.Restore),
				PrimaryBytes: ix.PrimaryBytes, Primaries: ix.Primaries, OriginalReplicas: ix.Replicas, Result: ResultPending})
		}
		e.state.Batches = append(e.state.Batches, bs)
		e.say(PhasePlan, 0, LevelInfo, "rx.plan.batch", bs.Number, len(bs.Indices), abbreviate(bs.Names(), 10))
	}
	return e.save()
}

// RunBatchesOf is RunBatches of the indices of batches that BatchPreview made (the wizard's): the same batches
// when no index goes by _reindex from remote.
func RunBatchesOf(p Plan, src, dst ClusterSummary, batches []Batch) ([]Batch, []esclient.Index) {
	if !p.Restore.ReindexFromRemote {
		return batches, nil
	}
	var selected []esclient.Index
	for _, b := range batches {
		selected = append(selected, b.Indices...)
	}
	if planned, reindex := runBatches(p, src, dst, selected); len(reindex) > 0 {
		return planned, reindex
	}
	return batches, nil
}

// runBatches is how a run of plan p moves the selected indices: batches of snapshot and restore (BatchPreview),
// and the indices the target cannot restore, which go by _reindex from remote when the plan says so (the
// pre-flight refused them otherwise) in a last batch of their own, by name. The run, the review's planned
// requests and its plan (RunBatchesOf) ask it.
func runBatches(p Plan, src, dst ClusterSummary, selected []esclient.Index) (batches []Batch, reindex []esclient.Index) {
	restorable := selected
	if p.Restore.ReindexFromRemote {
		restorable, reindex = splitReindex(src, dst, Selection{Indices: selected})
		sort.SliceStable(reindex, func(i, j int) bool { return reindex[i].Name < reindex[j].Name })
	}
	batches, _ = BatchPreview(p, restorable)
	return batches, reindex
}

func (e *Engine) sameClusters(src, dst ClusterSummary) error {
	if e.state.Source.UUID != "" && e.state.Source.UUID != src.Info.ClusterUUID {
		return i18n.Errorf("run.othersource", e.plan.StateFile, e.state.Source.Name, e.state.Source.UUID, e.plan.Source.URL, src.Info.ClusterName, src.Info.ClusterUUID)
	}
	if e.state.Target.UUID != "" && e.state.Target.UUID != dst.Info.ClusterUUID {
		return i18n.Errorf("run.othertarget", e.plan.StateFile, e.state.Target.Name, e.state.Target.UUID, e.plan.Target.URL, dst.Info.ClusterName, dst.Info.ClusterUUID)
	}
	return nil
}

func (e *Engine) nextBatch() *BatchState {
	for i := range e.state.Batches {
		if !e.state.Batches[i].Done {
			return &e.state.Batches[i]
		}
	}
	return nil
}

// dryRun shows every request a run would send that changes something, and sends none.
func (e *Engine) dryRun(ctx context.Context) error {
	e.say(PhasePlan, 0, LevelInfo, "run.dry")
	if err := e.EnsureRepositories(ctx); err != nil {
		return err
	}
	if err := e.applyTargetSettings(ctx); err != nil {
		return err
	}
	if err := e.beforeBatches(ctx); err != nil {
		return err
	}
	for i := range e.state.Batches {
		if err := e.runBatch(ctx, &e.state.Batches[i], ""); err != nil {
			return err
		}
	}
	return nil
}
