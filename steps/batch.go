package steps

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/i18n"
	"github.com/esmigrate/esmigrate/nfs"
)

// runBatch takes one batch from where its state says it is to the end (until ""), or up to the phase until:
// snapshot → transfer → restore → verify → cleanup. State is saved after each phase and at each point of no
// return.
func (e *Engine) runBatch(ctx context.Context, b *BatchState, until Phase) error {
	for !b.Done && (until == "" || b.Phase != until) {
		if err := e.holdBeforePhase(ctx, b); err != nil { // pause.go
			return &StoppedError{Phase: b.Phase, Batch: b.Number, StatePath: e.plan.StateFile}
		}
		phase := b.Phase
		if b.Times == nil {
			b.Times = map[Phase]PhaseTime{}
		}
		if t := b.Times[phase]; t.Start.IsZero() {
			b.Times[phase] = PhaseTime{Start: e.opts.Now()}
		}
		if err := e.save(); err != nil {
			return err
		}
		e.emit(Event{Kind: KindStart, Phase: phase, Batch: b.Number, Batches: e.batches(), Msg: i18n.Name(strings.Join(b.Names(), ", "))})
		var err error
		switch phase {
		case PhaseSnapshot:
			err = e.snapshotPhase(ctx, b)
		case PhaseTransfer:
			err = e.transferPhase(ctx, b)
		case PhaseRestore:
			err = e.restorePhase(ctx, b)
		case PhaseVerify:
			err = e.verifyPhase(ctx, b)
		case PhaseCleanup:
			err = e.cleanupPhase(ctx, b)
		case PhaseReindex:
			err = e.reindexPhase(ctx, b)
		default:
			err = i18n.Errorf("batch.unknownphase", b.Number, string(phase))
		}
		if err != nil {
			if ctx.Err() != nil {
				return &StoppedError{Phase: phase, Batch: b.Number, StatePath: e.plan.StateFile}
			}
			msg := err.Error()
			if e.opts.Resuming && b.Error == msg {
				// Resume was the advice, and resume failed the same way: say so rather than advise it again.
				err = &repeatedError{err: err}
			}
			b.setError(i18n.MsgOf(err))
			if r, ok := err.(*repeatedError); ok {
				b.setError(i18n.MsgOf(r.err)) // what failed, as the next attempt compares it
			}
			e.emit(Event{Kind: KindError, Level: LevelError, Phase: phase, Batch: b.Number, Batches: e.batches(), Msg: i18n.MsgOf(err)})
			_ = e.save()
			return err
		}
		t := b.Times[phase]
		t.End = e.opts.Now()
		b.Times[phase] = t
		b.Phase = nextPhase(phase)
		b.Done = b.Phase == ""
		b.setError(i18n.Msg{})
		e.emit(Event{Kind: KindDone, Phase: phase, Batch: b.Number, Batches: e.batches(), Msg: i18n.M("batch.took", t.Duration().Round(time.Millisecond).String())})
		if err := e.save(); err != nil {
			return err
		}
	}
	return nil
}

// repeatedError is a batch failure that is the same as the previous attempt's: resuming again without fixing its
// cause cannot help.
type repeatedError struct{ err error }

func (e *repeatedError) Error() string { return e.Localize().String() }

// Localize is the error as a message.
func (e *repeatedError) Localize() i18n.Msg { return i18n.M("batch.repeated", e.err) }

func (e *repeatedError) Unwrap() error { return e.err }

// needsHealth tells whether a restore poll must also read index health. A primary whose recovery is DONE is
// started, so the recovery alone says when an index is complete; health is only needed to notice failures
// (failed shards drop out of _recovery and the index turns red): when nothing is copying at all, and on every
// tenth poll for indices whose shards have not appeared yet.
func needsHealth(shards []esclient.ShardRecovery, poll int) bool {
	if poll%10 == 0 {
		return true
	}
	for _, s := range shards {
		if s.Primary && s.Type == "SNAPSHOT" && !s.Done() {
			return false
		}
	}
	return true
}

func nextPhase(p Phase) Phase {
	for i, q := range BatchPhases {
		if q == p && i+1 < len(BatchPhases) {
			return BatchPhases[i+1]
		}
	}
	return ""
}

// wait sleeps until the next poll, or returns the context's error. A phase's end should be noticed as soon as
// Elasticsearch finishes it: small batches finish in a fraction of a second, and a whole interval of latency at
// each phase's end would then dominate their time. So the wait grows with the phase's age, from minPoll up to
// the steady interval: polls at about 25, 50, 100, 200 ms... after the start, then once per interval. A long
// phase costs a handful of extra polls in its first second, a short one finishes within twice its real time.
func (e *Engine) wait(ctx context.Context, since time.Time) error {
	t := time.NewTimer(pollDelay(e.opts.Now().Sub(since), e.plan.PollInterval.Duration))
	defer t.Stop()
	var err error
	// the other lane works meanwhile (pipeline.go)
	e.unlocked(ctx, func() {
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case <-t.C:
		}
	})
	return err
}

// minPoll is the first poll's delay after a phase starts.
const minPoll = 25 * time.Millisecond

// pollDelay is the wait before the next poll of a phase that has run for elapsed: the elapsed time itself,
// between minPoll and the steady interval (so the polls' times double until they reach the interval).
func pollDelay(elapsed, interval time.Duration) time.Duration {
	return min(max(elapsed, minPoll), max(interval, minPoll))
}

// snapshotPhase starts the batch's snapshot (unless it already exists: a resumed run follows it instead of
// starting another) and follows it until it ends.
func (e *Engine) snapshotPhase(ctx context.Context, b *BatchState) error {
	repo := e.plan.Repository.Name
	if !b.SnapshotStarted {
		var found bool
		err := e.retry(ctx, PhaseSnapshot, b.Number, func() (err error) { _, found, err = e.src.Snapshot(ctx, repo, b.Snapshot); return })
		if err != nil {
			return err
		}
		if found {
			var s esclient.Snapshot
			var ok bool
			if err := e.retry(ctx, PhaseSnapshot, b.Number, func() (err error) { s, ok, err = e.src.Snapshot(ctx, repo, b.Snapshot); return }); err != nil {
				return err
			}
			switch {
			case !ok:
				found = false
			case !e.ours(b, s):
				// Never followed, never restored, never deleted: someone else's snapshot.
				return e.foreignSnapshot(b, s)
			case s.State == "FAILED" || s.State == "PARTIAL" || s.State == "INCOMPATIBLE":
				// Our own snapshot of an earlier attempt that failed: delete it (through the source, the
				// repository's writer) and take it again. It never touches an index.
				e.say(PhaseSnapshot, b.Number, LevelWarn, "snapshot.retake", b.Snapshot, s.State)
				if err := e.request(ctx, e.src, PhaseSnapshot, b.Number, i18n.M("req.deletefailed", b.Snapshot), esclient.DeleteSnapshotRequest(repo, b.Snapshot)); err != nil {
					return err
				}
				found = false
			default:
				e.say(PhaseSnapshot, b.Number, LevelInfo, "snapshot.follow", b.Snapshot, ownedBy(s))
			}
		}
		if !found {
			if err := e.recordSourceUUIDs(ctx, b); err != nil {
				return err
			}
			spec := esclient.SnapshotSpec{Repository: repo, Name: b.Snapshot, Indices: b.Names()}
			if supportsSnapshotMetadata(e.srcSum) {
				spec.Metadata = e.snapshotMetadata(b)
			}
			// The state records that this migration sends the snapshot before it goes out: whatever happens
			// to the answer, a snapshot of this name found later is known to be ours.
			b.SnapshotSent = true
			if err := e.save(); err != nil {
				return err
			}
			err := e.request(ctx, e.src, PhaseSnapshot, b.Number, i18n.M("req.snapshot", b.Snapshot), esclient.CreateSnapshotRequest(spec))
			if isSnapshotNameTaken(err) {
				// It existed before our request: not ours.
				b.SnapshotSent = false
				_ = e.save()
				if s, ok, _ := e.src.Snapshot(ctx, repo, b.Snapshot); ok {
					return e.foreignSnapshot(b, s)
				}
				return err
			}
			if err != nil && esclient.IsTransient(err) {
				// The request may have been accepted before the connection broke: look before trying again.
				e.say(PhaseSnapshot, b.Number, LevelWarn, "snapshot.maybe", err)
				err = e.retry(ctx, PhaseSnapshot, b.Number, func() error {
					_, ok, err := e.src.Snapshot(ctx, repo, b.Snapshot)
					if err == nil && !ok {
						return e.src.CreateSnapshot(ctx, spec)
					}
					return err
				})
			}
			if err != nil {
				return err
			}
		}
		b.SnapshotStarted = true
		if err := e.save(); err != nil {
			return err
		}
	}
	if e.opts.DryRun {
		return nil
	}
	err := e.followSnapshot(ctx, b)
	if errors.Is(err, errSnapshotVanished) && b.SnapshotRetakes < 3 {
		// A snapshot in progress disappears when the source's master restarts (running snapshots live only in
		// the cluster state). Take it again: snapshots are incremental, so what was written is reused.
		b.SnapshotRetakes++
		b.SnapshotStarted = false
		e.say(PhaseSnapshot, b.Number, LevelWarn, "snapshot.vanished", b.Snapshot, repo, b.SnapshotRetakes+1)
		return e.snapshotPhase(ctx, b)
	}
	if errors.Is(err, errSnapshotVanished) {
		b.SnapshotStarted = false
		return i18n.Errorf("snapshot.keepsvanishing", b.Snapshot, repo)
	}
	return err
}

var errSnapshotVanished = errors.New("snapshot vanished")

func (e *Engine) followSnapshot(ctx context.Context, b *BatchState) error {
	repo := e.plan.Repository.Name
	since := e.opts.Now()
	m := newMeter()
	lastMove, lastDone := e.opts.Now(), int64(-1)
	missing := 0
	for {
		var running []esclient.SnapshotProgress
		err := e.retry(ctx, PhaseSnapshot, b.Number, func() (err error) { running, err = e.src.RunningSnapshots(ctx, repo); return })
		if err != nil {
			return err
		}
		var mine *esclient.SnapshotProgress
		for i := range running {
			if running[i].Name == b.Snapshot {
				mine = &running[i]
			}
		}
		if mine != nil {
			now := e.opts.Now()
			done, total := mine.Stats.ProcessedBytes, mine.Stats.IncrementalBytes
			if mine.Shards.Done == mine.Shards.Total && total > 0 {
				done = total
			}
			rate, eta := m.observe(now, done, total)
			e.emit(Event{Kind: KindProgress, Phase: PhaseSnapshot, Batch: b.Number, Batches: e.batches(),
				Done:  Counts{Bytes: done, Shards: mine.Shards.Done, Files: mine.Stats.ProcessedFiles},
				Total: Counts{Bytes: total, Shards: mine.Shards.Total, Files: mine.Stats.IncrementalFiles}, Rate: rate, ETA: eta})
			for _, name := range sortedKeys(mine.Indices) {
				ix := mine.Indices[name]
				e.emit(Event{Kind: KindProgress, Phase: PhaseSnapshot, Batch: b.Number, Batches: e.batches(), Index: name,
					Done:  Counts{Bytes: ix.Stats.ProcessedBytes, Shards: ix.Shards.Done, Files: ix.Stats.ProcessedFiles},
					Total: Counts{Bytes: ix.Stats.IncrementalBytes, Shards: ix.Shards.Total, Files: ix.Stats.IncrementalFiles}})
			}
			if done+int64(mine.Shards.Done) != lastDone {
				lastDone, lastMove = done+int64(mine.Shards.Done), now
			} else if now.Sub(lastMove) > e.opts.StallTimeout {
				return i18n.Errorf("snapshot.stalled", b.Snapshot, e.opts.StallTimeout.String(), mine.Shards.Done, mine.Shards.Total, repo)
			}
		} else {
			var s esclient.Snapshot
			var ok bool
			err := e.retry(ctx, PhaseSnapshot, b.Number, func() (err error) { s, ok, err = e.src.Snapshot(ctx, repo, b.Snapshot); return })
			if err != nil {
				return err
			}
			if !ok {
				missing++
				if missing > 5 {
					return errSnapshotVanished
				}
			} else {
				switch s.State {
				case "SUCCESS":
					return e.snapshotSucceeded(ctx, b, s)
				case "PARTIAL", "FAILED", "INCOMPATIBLE":
					b.SnapshotState = s.State
					// The next run looks at the snapshot again, deletes it and takes it anew.
					b.SnapshotStarted = false
					return snapshotFailure(s)
				}
			}
		}
		if err := e.wait(ctx, since); err != nil {
			return err
		}
	}
}

func (e *Engine) snapshotSucceeded(ctx context.Context, b *BatchState, s esclient.Snapshot) error {
	b.SnapshotState = s.State
	// One full status read at the end (expensive on a finished snapshot, so not in the poll loop).
	st, err := e.src.SnapshotStatus(ctx, e.plan.Repository.Name, b.Snapshot)
	if err == nil {
		b.SnapshotBytes = st.Stats.IncrementalBytes
		for _, name := range sortedKeys(st.Indices) {
			ix := st.Indices[name]
			e.emit(Event{Kind: KindProgress, Phase: PhaseSnapshot, Batch: b.Number, Batches: e.batches(), Index: name,
				Done:  Counts{Bytes: ix.Stats.IncrementalBytes, Shards: ix.Shards.Done, Files: ix.Stats.IncrementalFiles},
				Total: Counts{Bytes: ix.Stats.IncrementalBytes, Shards: ix.Shards.Total, Files: ix.Stats.IncrementalFiles}})
		}
		e.emit(Event{Kind: KindProgress, Phase: PhaseSnapshot, Batch: b.Number, Batches: e.batches(),
			Done:  Counts{Bytes: st.Stats.IncrementalBytes, Shards: st.Shards.Done, Files: st.Stats.IncrementalFiles},
			Total: Counts{Bytes: st.Stats.IncrementalBytes, Shards: st.Shards.Total, Files: st.Stats.IncrementalFiles}})
	}
	e.say(PhaseSnapshot, b.Number, LevelInfo, "snapshot.success",
		b.Snapshot, s.Shards.Successful, HumanBytes(b.SnapshotBytes), (time.Duration(s.DurationMillis) * time.Millisecond).Round(time.Millisecond).String())
	return nil
}

// snapshotFailure explains a PARTIAL or FAILED snapshot with its failing shards.
func snapshotFailure(s esclient.Snapshot) error {
	what := []i18n.Msg{i18n.M("snapshot.failed", s.Name, s.State, s.Shards.Failed, s.Shards.Total)}
	if s.Reason != "" {
		what[0] = i18n.Join("list.colon", what[0], i18n.Name(s.Reason)) // Elasticsearch's words
	}
	for _, f := range s.Failures {
		what = append(what, i18n.M("snapshot.failed.shard", f.Index, f.ShardID, f.Reason))
	}
	return i18n.Errorf("snapshot.failed.fix", i18n.List("list.semi", what))
}

// transferPhase copies the repository to the target's share when the clusters do not share storage.
func (e *Engine) transferPhase(ctx context.Context, b *BatchState) error {
	if e.plan.Repository.Shared {
		e.say(PhaseTransfer, b.Number, LevelInfo, "transfer.shared")
		return nil
	}
	src, dst := e.plan.SourceLocalPath(), e.plan.TargetLocalPath()
	if e.opts.DryRun {
		e.say(PhaseTransfer, b.Number, LevelInfo, "transfer.dry", src, dst)
		return nil
	}
	var limit int64
	if e.plan.Copy.BandwidthLimit != "" {
		limit, _ = ParseBytes(e.plan.Copy.BandwidthLimit)
	}
	// The copy reads the repository where this host sees it: it must be the one the source nodes just wrote,
	// or the restore fails later and seems to blame the target.
	if repo, err := nfs.ReadRepository(src); err != nil || !slices.Contains(repo.Snapshots, b.Snapshot) {
		why := i18n.M("transfer.unlisted", b.Snapshot)
		if err != nil {
			why = i18n.MsgOf(err)
		}
		return i18n.Errorf("transfer.wrongsource", b.Snapshot, e.plan.Repository.SourceLocation, src, why)
	}
	e.say(PhaseTransfer, b.Number, LevelInfo, "transfer.copying", src, dst)
	number, batches := b.Number, e.batches()
	pause := e.copyPauser(b)
	var res nfs.CopyResult
	var err error
	for told := false; ; {
		// The copy runs without the engine lock: the other lane follows its snapshot meanwhile (pipeline.go).
		// Its progress goes out through the emitter, which has a lock of its own.
		e.unlocked(ctx, func() {
			res, err = CopyRepository(ctx, src, dst, CopyCommand{Workers: e.plan.Copy.Workers, BytesPerSecond: limit, Pause: pause,
				Batch: number, Batches: batches}, e.emit)
		})
		if !errors.Is(err, nfs.ErrCopyLocked) {
			break
		}
		// Another copy into the target runs (esmigrate copy on the NFS server): it brings the same files; this
		// one goes on when it is done and finds them there.
		if !told {
			told = true
			e.say(PhaseTransfer, b.Number, LevelInfo, "steps.copy.locked", dst)
		}
		if err := e.wait(ctx, time.Time{}); err != nil {
			return err
		}
	}
	if err != nil {
		return err
	}
	b.CopiedFiles, b.CopiedBytes = res.FilesCopied, res.BytesCopied
	e.say(PhaseTransfer, b.Number, LevelInfo, "transfer.copied", res.FilesCopied, HumanBytes(res.BytesCopied), res.FilesSkipped)
	return nil
}

// ensureTargetSees waits until the target's repository lists the batch's snapshot. A cluster may keep a cached
// view of a repository; re-registering it (read-only) makes it read the repository again.
func (e *Engine) ensureTargetSees(ctx context.Context, b *BatchState) error {
	repo := e.plan.TargetRepoName()
	for attempt := 0; attempt < 2; attempt++ {
		var ok bool
		err := e.retry(ctx, PhaseRestore, b.Number, func() (err error) { _, ok, err = e.dst.Snapshot(ctx, repo, b.Snapshot); return })
		if err != nil && !esclient.IsType(err, "repository_missing_exception") {
			return err
		}
		if ok {
			return nil
		}
		if attempt == 0 {
			e.say(PhaseRestore, b.Number, LevelWarn, "restore.reregister", b.Snapshot, repo)
			_ = e.request(ctx, e.dst, PhaseRestore, b.Number, i18n.M("req.unregister.target", repo), esclient.DeleteRepositoryRequest(repo))
			if err := e.ensureRepository(ctx, e.dst, true); err != nil {
				return err
			}
		}
	}
	where := e.plan.Repository.TargetLocation
	return i18n.Errorf("restore.notseen", repo, where, b.Snapshot, e.plan.TargetLocalPath())
}

// restorePhase starts the restore of the batch (skipping indices that a previous run already restored from
// this snapshot) and follows the recovery until every index is complete or failed.
func (e *Engine) restorePhase(ctx context.Context, b *BatchState) error {
	if b.Round > 0 {
		return e.roundRestore(ctx, b) // a catch-up round: over the closed target indices (catchup_restore.go)
	}
	if e.opts.DryRun {
		// The dry run shows what the run sends, the DELETE of target indices in the way included.
		var exists map[string]bool
		targets := make([]string, len(b.Indices))
		for i, ix := range b.Indices {
			targets[i] = ix.Target
		}
		if err := e.retry(ctx, PhaseRestore, b.Number, func() (err error) { exists, err = e.dst.Exists(ctx, targets); return }); err != nil {
			return err
		}
		if err := e.deleteInTheWay(ctx, b, keys(exists)); err != nil {
			return err
		}
		return e.request(ctx, e.dst, PhaseRestore, b.Number, i18n.M("req.restore", b.Snapshot), esclient.RestoreRequest(e.restoreSpec(b, b.Names())))
	}
	if !b.RestoreStarted {
		if err := e.ensureTargetSees(ctx, b); err != nil {
			return err
		}
		if err := e.startRestore(ctx, b); err != nil {
			return err
		}
		b.RestoreStarted = true
		if err := e.save(); err != nil {
			return err
		}
	}
	return e.followRestore(ctx, b)
}

func (e *Engine) restoreSpec(b *BatchState, names []string) esclient.RestoreSpec {
	r := e.plan.Restore
	settings := map[string]any{}
	for k, v := range r.IndexSettings {
		settings[k] = v
	}
	if r.ReplicasDuringRestore >= 0 {
		settings["index.number_of_replicas"] = r.ReplicasDuringRestore
	}
	return esclient.RestoreSpec{Repository: e.plan.TargetRepoName(), Snapshot: b.Snapshot, Indices: names,
		RenamePattern: r.RenamePattern, RenameReplacement: r.RenameReplacement, IndexSettings: settings,
		IgnoreIndexSettings: r.IgnoreIndexSettings, IncludeAliases: r.IncludeAliases, IncludeGlobalState: r.IncludeGlobalState}
}

// startRestore sends the restore for the indices of the batch that are not on the target yet. An index already
// there that was restored from this very snapshot is ours (a restore sent before esmigrate was stopped) and is
// followed; any other is a conflict.
func (e *Engine) startRestore(ctx context.Context, b *BatchState) error {
	pending, exists, err := e.restoreCandidates(ctx, b, "restore.follow")
	if err != nil {
		return err
	}
	if foreign := keys(exists); len(foreign) > 0 {
		if e.plan.OnConflict == ConflictDelete && e.opts.AllowTargetDelete {
			if err := e.deleteInTheWay(ctx, b, foreign); err != nil {
				return err
			}
		} else {
			for _, name := range foreign {
				ix := pending[name]
				ix.Result = ResultFailed
				ix.setReason(i18n.M("restore.exists", name))
				e.say(PhaseRestore, b.Number, LevelError, "index.reason", ix.Name, ix.ReasonMsg)
				delete(pending, name)
			}
		}
	}
	return e.sendRestore(ctx, b, pending, restoreSend{
		request: "req.restore.some", maybe: "restore.maybe", spec: e.restoreSpec,
		// A restore that fails for one index fails as a whole: set that index aside and restore the others.
		refused: func(target string, err error) error {
			ix := pending[target]
			ix.Result = ResultFailed
			ix.setReason(i18n.MsgOf(err))
			e.say(PhaseRestore, b.Number, LevelError, "restore.setaside", ix.Name, err)
			delete(pending, target)
			return e.save()
		},
	})
}

// restoreCandidates are the batch's indices a restore is to be sent for (pending, by target name) and those of
// their targets the target cluster has already (exists). A target that a restore of this very snapshot is
// filling already (a restore sent before esmigrate stopped) is ours: it is followed, said with followKey, never
// sent again, and is in neither map.
func (e *Engine) restoreCandidates(ctx context.Context, b *BatchState, followKey string) (pending map[string]*IndexState, exists map[string]bool, err error) {
	pending = map[string]*IndexState{}
	var targets []string
	for i := range b.Indices {
		ix := &b.Indices[i]
		if ix.Result == ResultFailed {
			continue
		}
		pending[ix.Target] = ix
		targets = append(targets, ix.Target)
	}
	if err := e.retry(ctx, PhaseRestore, b.Number, func() (err error) { exists, err = e.dst.Exists(ctx, targets); return }); err != nil {
		return nil, nil, err
	}
	if len(exists) == 0 {
		return pending, exists, nil
	}
	var shards []esclient.ShardRecovery
	if err := e.retry(ctx, PhaseRestore, b.Number, func() (err error) { shards, err = e.dst.Recovery(ctx, keys(exists)); return }); err != nil {
		return nil, nil, err
	}
	fromUs := map[string]bool{}
	for _, s := range shards {
		if s.Primary && s.Type == "SNAPSHOT" && s.Snapshot == b.Snapshot {
			fromUs[s.Index] = true
		}
	}
	for _, name := range keys(exists) {
		if fromUs[name] {
			e.say(PhaseRestore, b.Number, LevelInfo, followKey, name, b.Snapshot)
			delete(pending, name)
			delete(exists, name)
		}
	}
	return pending, exists, nil
}

// restoreSend is how sendRestore words and builds a batch's restore, and what it does with an index that the
// restore is refused for.
type restoreSend struct {
	request, maybe string // the message keys of the request (snapshot, names) and of a restore that may have started
	spec           func(b *BatchState, names []string) esclient.RestoreSpec
	// closedForm: the restore goes over closed indices, and a refusal names one as [[name/uuid]] too.
	closedForm bool
	// refused sets the index of target aside, or makes room for it and leaves it pending (it is then sent
	// again with the others).
	refused func(target string, err error) error
	// unnamed, when set, is called with a refusal that names no pending index (its result is returned).
	unnamed func(err error) error
}

// sendRestore sends one restore for every pending index (by target name). Elasticsearch refuses a restore as a
// whole when one index cannot be restored: the index that the refusal names goes to refused, and the others are
// sent again, until a restore is accepted or nothing is pending.
func (e *Engine) sendRestore(ctx context.Context, b *BatchState, pending map[string]*IndexState, how restoreSend) error {
	for len(pending) > 0 {
		var names []string
		for _, ix := range pending {
			names = append(names, ix.Name)
		}
		sort.Strings(names)
		err := e.request(ctx, e.dst, PhaseRestore, b.Number, i18n.M(how.request, b.Snapshot, strings.Join(names, ", ")), esclient.RestoreRequest(how.spec(b, names)))
		if err == nil {
			return nil
		}
		if esclient.IsTransient(err) {
			// Never send a restore twice blindly: the next run looks at what exists and follows it.
			return i18n.Errorf(how.maybe, err)
		}
		culprit := ""
		for t, ix := range pending {
			if strings.Contains(err.Error(), "["+ix.Name+"]") || strings.Contains(err.Error(), "["+t+"]") || how.closedForm && strings.Contains(err.Error(), "[["+t+"/") {
				culprit = t
			}
		}
		if culprit == "" {
			if how.unnamed != nil {
				return how.unnamed(err)
			}
			return err
		}
		if err := how.refused(culprit, err); err != nil {
			return err
		}
	}
	return nil
}

// deleteInTheWay deletes target indices that stand where the restore puts the batch's indices, when the plan
// says on_conflict: delete and the operator confirmed it.
func (e *Engine) deleteInTheWay(ctx context.Context, b *BatchState, names []string) error {
	if len(names) == 0 || e.plan.OnConflict != ConflictDelete || !e.opts.AllowTargetDelete {
		return nil
	}
	// One request per group of names that fits a request line: hundreds of names in one path are refused.
	for _, r := range esclient.DeleteIndexRequests(names) {
		if err := e.request(ctx, e.dst, PhaseRestore, b.Number, i18n.M("req.deleteinway", strings.Join(names, ", ")), r); err != nil {
			return err
		}
	}
	return nil
}

// followRestore polls the recovery API and index health until every index of the batch is complete (all
// primaries DONE and the index not red) or failed (red with nothing recovering).
func (e *Engine) followRestore(ctx context.Context, b *BatchState) error {
	var active []*IndexState
	for i := range b.Indices {
		if b.Indices[i].Result != ResultFailed {
			active = append(active, &b.Indices[i])
		}
	}
	// polling holds the indices not finished yet: a finished index is not asked about again, so polls shrink
	// as the restore goes on. last keeps every index's latest figures for the overall progress.
	polling := append([]*IndexState(nil), active...)
	type agg struct {
		done, total   int64
		shards, ended int
		active        bool
	}
	last := map[string]agg{}
	since := e.opts.Now()
	m := newMeter()
	lastMove, lastDone := e.opts.Now(), int64(-1)
	redSince := map[string]time.Time{}
	for poll := 0; len(polling) > 0; poll++ {
		targets := make([]string, len(polling))
		for i, ix := range polling {
			targets[i] = ix.Target
		}
		var shards []esclient.ShardRecovery
		var health map[string]esclient.IndexHealth
		err := e.retry(ctx, PhaseRestore, b.Number, func() (err error) {
			if shards, err = e.dst.Recovery(ctx, targets); err != nil {
				return err
			}
			// One request per poll while shards are copying: health is only asked for when the recovery
			// alone cannot tell (every primary done, or one missing: failed shards drop out of _recovery).
			if needsHealth(shards, poll) {
				health, err = e.dst.IndicesHealth(ctx, targets)
			}
			return err
		})
		if err != nil {
			return err
		}
		now := e.opts.Now()
		per := map[string]*agg{}
		for _, s := range shards {
			if !s.Primary || s.Type != "SNAPSHOT" || s.Snapshot != "" && s.Snapshot != b.Snapshot {
				// Not this restore (a catch-up round's index shows its earlier restore until the new one starts).
				continue
			}
			a := per[s.Index]
			if a == nil {
				a = &agg{}
				per[s.Index] = a
			}
			a.total += s.TotalBytes
			a.done += s.RecoveredBytes + s.ReusedBytes
			a.shards++
			if s.Done() {
				a.ended++
			} else {
				a.active = true
			}
		}
		var still []*IndexState
		for _, ix := range polling {
			a := agg{}
			if p := per[ix.Target]; p != nil {
				a = *p
			}
			last[ix.Target] = a
			h, exists := health[ix.Target]
			if exists {
				ix.Health = h.Status
			}
			e.emit(Event{Kind: KindProgress, Phase: PhaseRestore, Batch: b.Number, Batches: e.batches(), Index: ix.Name,
				Done: Counts{Bytes: a.done, Shards: a.ended}, Total: Counts{Bytes: a.total, Shards: ix.Primaries}, Msg: i18n.Name(ix.Target)})
			switch {
			case a.ended > 0 && a.ended >= ix.Primaries:
				continue // finished: every primary recovered (the verification reads its health)
			case exists && h.Status == "red" && !a.active:
				// Failed shards drop out of _recovery: red with nothing recovering is a failure, after a grace
				// period for shards that have not started yet.
				if redSince[ix.Target].IsZero() {
					redSince[ix.Target] = now
				} else if now.Sub(redSince[ix.Target]) > 30*time.Second {
					why, _ := e.dst.ExplainUnassigned(ctx, ix.Target, 0, true)
					ix.Result = ResultFailed
					reason := i18n.M("restore.red")
					if why != "" {
						reason = i18n.Join("list.colon", reason, i18n.Name(why)) // Elasticsearch's explanation
					}
					ix.setReason(reason)
					e.say(PhaseRestore, b.Number, LevelError, "index.reason", ix.Name, ix.ReasonMsg)
					continue
				}
			default:
				delete(redSince, ix.Target)
			}
			still = append(still, ix)
		}
		polling = still

		var sumDone, sumTotal int64
		shardsDone, shardsTotal := 0, 0
		for _, ix := range active {
			a := last[ix.Target]
			sumDone += a.done
			sumTotal += a.total
			shardsDone += a.ended
			shardsTotal += ix.Primaries
		}
		rate, eta := m.observe(now, sumDone, sumTotal)
		e.emit(Event{Kind: KindProgress, Phase: PhaseRestore, Batch: b.Number, Batches: e.batches(),
			Done: Counts{Bytes: sumDone, Shards: shardsDone}, Total: Counts{Bytes: sumTotal, Shards: shardsTotal}, Rate: rate, ETA: eta})
		if len(polling) == 0 {
			return nil
		}
		if sumDone+int64(shardsDone) != lastDone {
			lastDone, lastMove = sumDone+int64(shardsDone), now
		} else if now.Sub(lastMove) > e.opts.StallTimeout {
			return i18n.Errorf("restore.stalled", b.Snapshot, e.opts.StallTimeout.String(), shardsDone, shardsTotal)
		}
		if err := e.wait(ctx, since); err != nil {
			return err
		}
	}
	return nil
}

// putReplicasBack gives restored indices their original number_of_replicas (they were restored with fewer to
// go faster). In a dry run every index counts as verified.
func (e *Engine) putReplicasBack(ctx context.Context, b *BatchState, dry bool) error {
	r := e.plan.Restore
	if !r.RestoreReplicas || r.ReplicasDuringRestore < 0 || b.ReplicasPutBack {
		return nil
	}
	byReplicas := map[int][]string{}
	for _, ix := range b.Indices {
		if (dry || ix.Result == ResultVerified) && ix.OriginalReplicas != r.ReplicasDuringRestore {
			byReplicas[ix.OriginalReplicas] = append(byReplicas[ix.OriginalReplicas], ix.Target)
		}
	}
	for _, n := range slices.Sorted(maps.Keys(byReplicas)) {
		names := byReplicas[n]
		op := i18n.M("req.replicas", strings.Join(names, ", "), n)
		for _, r := range esclient.SetReplicasRequests(names, n) {
			if err := e.retry(ctx, PhaseVerify, b.Number, func() error {
				return e.request(ctx, e.dst, PhaseVerify, b.Number, op, r)
			}); err != nil {
				return err
			}
		}
	}
	b.ReplicasPutBack = !dry
	return nil
}

// cleanupPhase deletes the batch's snapshot when the plan asks for it and every index of the batch verified.
// Source indices are never touched; the snapshot is deleted through the source, the repository's only writer.
func (e *Engine) cleanupPhase(ctx context.Context, b *BatchState) error {
	if !e.plan.Cleanup.DeleteSnapshots || b.CleanedUp {
		return nil
	}
	for _, ix := range b.Indices {
		if ix.Result != ResultVerified {
			e.say(PhaseCleanup, b.Number, LevelWarn, "cleanup.keep", b.Snapshot, ix.Name, i18n.M("rep.res."+ix.Result))
			return nil
		}
	}
	op := i18n.M("req.deletesnapshot.verified", b.Snapshot)
	// before 7.9 no snapshot may be deleted while another one runs: wait for the snapshot lane (pipeline.go)
	if err := e.beforeDelete(ctx, b.Number); err != nil {
		return err
	}
	defer e.afterDelete()
	if err := e.retry(ctx, PhaseCleanup, b.Number, func() error {
		err := e.request(ctx, e.src, PhaseCleanup, b.Number, op, esclient.DeleteSnapshotRequest(e.plan.Repository.Name, b.Snapshot))
		if esclient.IsType(err, "snapshot_missing_exception") {
			return nil
		}
		return err
	}); err != nil {
		return err
	}
	b.CleanedUp = true
	return nil
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

func keys(m map[string]bool) []string {
	return sortedKeys(m)
}
