package steps

import (
	"context"
	"errors"
	"time"

	"github.com/esmigrate/esmigrate/i18n"
)

// Catch-up rounds. After the first pass, the engine knows for each index whether the source changed since the
// snapshot its target copy came from (sequence numbers: live.go). A round does, for the changed indices only,
// what a batch does, with two differences: the snapshot is incremental (Elasticsearch writes only the segment
// files that are new since the repository's earlier snapshots, and the copy only copies files that are not on
// the target's share yet), and the restore goes over the closed target index, where Elasticsearch reuses the
// files that are identical (catchup_restore.go). Rounds repeat until the next one is estimated under the
// operator's threshold.

// CatchUpOptions tune one `esmigrate catch-up`.
type CatchUpOptions struct {
	// Rounds: run at most this many rounds (0: until the next round is estimated under the threshold, the
	// rounds stop getting shorter, or the plan's max_rounds).
	Rounds int
	// Threshold replaces the plan's live.threshold (0: keep it).
	Threshold time.Duration
}

// CatchUp runs catch-up rounds from a migration's state file until the next round is estimated to take less
// than the threshold (or nothing changed, or the rounds stop getting shorter). It returns where the live
// migration stands.
func (e *Engine) CatchUp(ctx context.Context, o CatchUpOptions) (*LiveStatus, error) {
	if err := e.openLive(ctx, "catch-up"); err != nil {
		return nil, stoppedLive(ctx, err, e.plan.StateFile)
	}
	defer e.closeLive()
	if o.Threshold > 0 {
		e.plan.Live.Threshold = Duration{o.Threshold}
	}
	if err := e.liveAllowed(); err != nil {
		return nil, err
	}
	if err := e.EnsureRepositories(ctx); err != nil {
		return nil, stoppedLive(ctx, err, e.plan.StateFile)
	}
	if e.plan.Cleanup.DeleteSnapshots {
		e.say(PhaseCatchUp, 0, LevelWarn, "live.deletesnapshots")
	}
	// A round that was stopped or failed is finished first: its snapshot may be taken, its restore started.
	if rs := e.lastRound(); rs != nil && !rs.Batch.Done && !rs.Final {
		e.say(PhaseCatchUp, 0, LevelInfo, "live.round.resume", rs.Number, rs.Batch.Phase)
		if _, err := e.finishRound(ctx, rs); err != nil {
			return nil, stoppedLive(ctx, err, e.plan.StateFile)
		}
	}
	maxRounds := e.plan.Live.MaxRoundsOrDefault()
	for ran := 0; ; ran++ {
		changed, skipped, n, err := e.detectChanges(ctx)
		if err != nil {
			return nil, stoppedLive(ctx, err, e.plan.StateFile)
		}
		st := e.status(changed, skipped, n)
		for _, s := range skipped {
			e.say(PhaseCatchUp, 0, LevelWarn, "live.skip", s.Index, s.Reason)
		}
		switch {
		case len(changed) == 0:
			e.emitStatus(PhaseCatchUp, st, i18n.M("live.uptodate", n))
			return st, nil
		case ran > 0 && st.Ready:
			e.emitStatus(PhaseCatchUp, st, i18n.M("live.ready", len(changed), st.NextEstimate.Round(100*time.Millisecond), st.Threshold))
			return st, nil
		case ran > 0 && st.Stalled:
			e.emitStatus(PhaseCatchUp, st, i18n.M("live.stalled", st.NextEstimate.Round(100*time.Millisecond), st.Threshold))
			return st, nil
		case o.Rounds > 0 && ran >= o.Rounds, e.opts.DryRun && ran > 0:
			e.emitStatus(PhaseCatchUp, st, i18n.M("live.changed", len(changed), n))
			return st, nil
		case ran >= maxRounds:
			e.emitStatus(PhaseCatchUp, st, i18n.M("live.maxrounds", maxRounds, st.NextEstimate.Round(100*time.Millisecond), st.Threshold))
			return st, nil
		}
		e.emitStatus(PhaseCatchUp, st, i18n.M("live.changed", len(changed), n))
		if _, err := e.runRound(ctx, changed, false); err != nil {
			return nil, stoppedLive(ctx, err, e.plan.StateFile)
		}
	}
}

// stoppedLive turns an error after a cancellation into a StoppedError (exit code 3; the state says where).
func stoppedLive(ctx context.Context, err error, state string) error {
	var stop *StoppedError
	if ctx.Err() != nil && !errors.As(err, &stop) {
		return &StoppedError{Phase: PhaseCatchUp, StatePath: state}
	}
	return err
}

// liveAllowed refuses catch-up while the first pass is unfinished or a cut-over has blocked the source.
func (e *Engine) liveAllowed() error {
	if left := e.unfinished(); len(left) > 0 {
		return i18n.Errorf("live.firstpass", left, e.plan.StateFile)
	}
	if len(e.migrated()) == 0 {
		return i18n.Errorf("live.nothingmigrated", e.plan.StateFile)
	}
	if c := e.state.Live.Cutover; c != nil && !c.RolledBack {
		if c.Done() {
			return i18n.Errorf("live.cutoverdone", c.FreezeEnd.Format(time.RFC3339), e.plan.StateFile)
		}
		return i18n.Errorf("live.cutoverruns", len(c.Indices), e.plan.StateFile)
	}
	return nil
}

func (e *Engine) lastRound() *RoundState {
	if e.state.Live == nil || len(e.state.Live.Rounds) == 0 {
		return nil
	}
	return &e.state.Live.Rounds[len(e.state.Live.Rounds)-1]
}

// indexState finds a migrated index's state in the first pass's batches.
func (e *Engine) indexState(name string) *IndexState {
	for i := range e.state.Batches {
		for j := range e.state.Batches[i].Indices {
			if e.state.Batches[i].Indices[j].Name == name {
				return &e.state.Batches[i].Indices[j]
			}
		}
	}
	return nil
}

// runRound starts a round for the changed indices and takes it to its end.
func (e *Engine) runRound(ctx context.Context, changed []ChangedIndex, final bool) (*RoundState, error) {
	n := len(e.state.Live.Rounds) + 1
	b := BatchState{Number: n, Round: n, Snapshot: RoundSnapshotName(e.plan, e.state.MigrationID, n), Phase: PhaseSnapshot,
		// A round keeps its snapshot: the next round's incremental snapshot builds on its files (the plan's
		// delete_snapshots is for a migration that is over).
		CleanedUp: true}
	for _, c := range changed {
		ix := e.indexState(c.Name)
		if ix == nil {
			continue
		}
		cp := *ix
		cp.Result, cp.Reason, cp.Content, cp.Health, cp.ChangedOps = ResultPending, "", nil, "", 0
		b.Indices = append(b.Indices, cp)
	}
	e.state.Live.Rounds = append(e.state.Live.Rounds, RoundState{Number: n, Final: final, Started: e.opts.Now(), Changed: changed, Batch: b})
	if err := e.save(); err != nil {
		return nil, err
	}
	return e.finishRound(ctx, &e.state.Live.Rounds[n-1])
}

// finishRound takes a round through snapshot, copy, restore over the closed indices and verification (from
// wherever its state says it is), then records its figures, the estimate of the next round, and each index's
// new result in its batch.
func (e *Engine) finishRound(ctx context.Context, rs *RoundState) (*RoundState, error) {
	e.round = rs.Number
	defer func() { e.round = 0 }()
	if !rs.Final {
		e.say(PhaseCatchUp, 0, LevelInfo, "live.round.start", rs.Number, len(rs.Batch.Indices), rs.Batch.Snapshot)
	}
	err := e.runBatch(ctx, &rs.Batch, "")
	if err != nil {
		var stop *StoppedError
		if !errors.As(err, &stop) {
			rs.Error = err.Error()
			_ = e.save()
		}
		return rs, err
	}
	rs.Error = ""
	if e.opts.DryRun {
		return rs, nil
	}
	e.roundFigures(ctx, rs)
	e.applyRound(rs)
	rs.Ended = e.opts.Now()
	rs.NextEstimate = e.nextRoundEstimate(rs, rs.Ended)
	if err := e.save(); err != nil {
		return rs, err
	}
	verified := rs.summary().Verified
	e.say(PhaseCatchUp, 0, LevelInfo, "live.round.done", rs.Number, rs.Duration().Round(100*time.Millisecond), verified, len(rs.Batch.Indices),
		HumanBytes(rs.SnapshotBytes), HumanBytes(rs.CopiedBytes), HumanBytes(rs.ReusedBytes), HumanBytes(rs.RestoredBytes),
		rs.NextEstimate.Round(100*time.Millisecond))
	return rs, nil
}

// roundFigures reads what the round's snapshot had to write (its incremental figures) and what its restore
// reused on the target.
func (e *Engine) roundFigures(ctx context.Context, rs *RoundState) {
	b := &rs.Batch
	rs.SnapshotBytes, rs.CopiedBytes = b.SnapshotBytes, b.CopiedBytes
	if st, err := e.src.SnapshotStatus(ctx, e.plan.Repository.Name, b.Snapshot); err == nil {
		rs.SnapshotBytes, rs.SnapshotFiles = st.Stats.IncrementalBytes, st.Stats.IncrementalFiles
	}
	var targets []string
	for _, ix := range b.Indices {
		if ix.Result != ResultFailed {
			targets = append(targets, ix.Target)
		}
	}
	reuse, err := e.dst.Reuse(ctx, targets)
	if err != nil {
		e.say(PhaseCatchUp, 0, LevelWarn, "live.reuse.unread", err)
		return
	}
	rs.RestoredBytes, rs.ReusedBytes, rs.Files, rs.ReusedFiles = 0, 0, 0, 0
	for _, t := range targets {
		r := reuse[t]
		rs.RestoredBytes += r.Bytes
		rs.ReusedBytes += r.ReusedBytes
		rs.Files += r.Files
		rs.ReusedFiles += r.ReusedFiles
		if r.Bytes > 0 && r.ReusedBytes == 0 && !slicesContains(rs.Deleted, t) {
			// Restored over the closed index, and nothing was taken from it: the round moved the whole index.
			e.say(PhaseCatchUp, 0, LevelWarn, "live.reuse.none", t, HumanBytes(r.Bytes))
		}
	}
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// applyRound records each index's outcome of the round in its batch: the target now holds the round's
// snapshot.
func (e *Engine) applyRound(rs *RoundState) {
	for _, r := range rs.Batch.Indices {
		ix := e.indexState(r.Name)
		if ix == nil {
			continue
		}
		if r.Result == ResultFailed {
			// Not restored: the target holds what it held; the index stays changed, with the round's reason.
			ix.Result, ix.Reason, ix.ReasonMsg = ResultChanged, r.Reason, r.ReasonMsg
			continue
		}
		ix.Result, ix.Reason, ix.ReasonMsg, ix.ChangedOps = r.Result, r.Reason, r.ReasonMsg, r.ChangedOps
		ix.SourceDocs, ix.TargetDocs, ix.Health = r.SourceDocs, r.TargetDocs, r.Health
		ix.SourceUUID, ix.Verification, ix.Content = r.SourceUUID, r.Verification, r.Content
		ix.CaughtUpFrom = rs.Batch.Snapshot
	}
}

// nextRoundEstimate estimates how long the round after rs takes if it starts at now, from rs's own figures:
//
//   - the new bytes its snapshot had to write (Elasticsearch's incremental figures: the segment files that were
//     not in the repository yet) came from the writes of the time since the snapshot before it; the next
//     snapshot will write, at that pace, the new bytes of the time since rs's snapshot started;
//   - a round's time is a part that does not depend on its bytes (closing, restoring and opening indices,
//     verifying, waiting for Elasticsearch to notice) plus its bytes at the pace bytes move through snapshot,
//     copy and restore. That pace is the first pass's (which moved every byte of the indices); rs's fixed part
//     is what remains of its time.
//
// Not the operations count: an operation may add a few bytes, or, through a merge, rewrite a segment of
// gigabytes (after a force-merge no file is identical and the round moves the whole index).
func (e *Engine) nextRoundEstimate(rs *RoundState, now time.Time) time.Duration {
	snapStart := rs.Batch.Times[PhaseSnapshot].Start
	if rs.Ended.IsZero() || snapStart.IsZero() {
		return 0
	}
	rate := e.firstPassRate()
	moving := rs.Batch.Times[PhaseSnapshot].Duration() + rs.Batch.Times[PhaseTransfer].Duration() + rs.Batch.Times[PhaseRestore].Duration()
	if rate <= 0 && moving > 0 {
		rate = float64(rs.SnapshotBytes) / moving.Seconds()
	}
	if rate <= 0 {
		return rs.Duration()
	}
	fixed := rs.Duration() - time.Duration(float64(rs.SnapshotBytes)/rate*float64(time.Second))
	fixed = max(fixed, 0)
	next := float64(rs.SnapshotBytes)
	if prev := e.previousSnapshotStart(rs); !prev.IsZero() && snapStart.After(prev) {
		next = float64(rs.SnapshotBytes) * now.Sub(snapStart).Seconds() / snapStart.Sub(prev).Seconds()
	}
	return fixed + time.Duration(next/rate*float64(time.Second))
}

// previousSnapshotStart is when the snapshot that rs's indices were restored from before rs was started: the
// round before, or for the first round the latest of their batches' snapshots (the shortest span the new bytes
// can have come from: the estimate errs long rather than short).
func (e *Engine) previousSnapshotStart(rs *RoundState) time.Time {
	for i := len(e.state.Live.Rounds) - 1; i >= 0; i-- {
		r := e.state.Live.Rounds[i]
		if r.Number < rs.Number && r.Error == "" && !r.Ended.IsZero() {
			return r.Batch.Times[PhaseSnapshot].Start
		}
	}
	var latest time.Time
	for _, c := range rs.Changed {
		for _, b := range e.state.Batches {
			for _, ix := range b.Indices {
				if ix.Name == c.Name {
					if t := b.Times[PhaseSnapshot].Start; t.After(latest) {
						latest = t
					}
				}
			}
		}
	}
	return latest
}

// firstPassRate is the pace at which the first pass moved bytes through snapshot, copy and restore (its
// indices' primary bytes over those phases' time), or 0 when it is not known.
func (e *Engine) firstPassRate() float64 {
	var bytes int64
	var d time.Duration
	for _, b := range e.state.Batches {
		if !b.Done {
			continue
		}
		for _, ix := range b.Indices {
			bytes += ix.PrimaryBytes
		}
		d += b.Times[PhaseSnapshot].Duration() + b.Times[PhaseTransfer].Duration() + b.Times[PhaseRestore].Duration()
	}
	if bytes <= 0 || d <= 0 {
		return 0
	}
	return float64(bytes) / d.Seconds()
}
