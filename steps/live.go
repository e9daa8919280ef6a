package steps

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/i18n"
)

// A live migration: the source keeps serving while the first pass runs; catch-up rounds (catchup.go) then bring
// the target up to date with what changed since, each round shorter than the one before, and a cut-over
// (cutover.go) puts a write block on the source indices for the last, short round. The write block is the one
// change esmigrate ever makes to a source index: it is recorded in the state file before it is sent, and the
// source guard passes it only while the state says that a cut-over the operator confirmed by typing runs.

// LivePlan is the plan's live section.
type LivePlan struct {
	// Threshold: catch-up rounds repeat until the next one is estimated to take less (default 30s). It is also
	// about the write freeze the cut-over will cause.
	Threshold Duration `yaml:"threshold,omitempty" json:"threshold,omitzero"`
	// MaxRounds bounds the rounds one `esmigrate catch-up` runs (default 10).
	MaxRounds int `yaml:"max_rounds,omitempty" json:"max_rounds,omitempty"`
	// Aliases are moved on the target at the cut-over, once the last round verified: alias → target index.
	Aliases map[string]string `yaml:"aliases,omitempty" json:"aliases,omitempty"`
}

// Defaults of the live section.
const (
	DefaultLiveThreshold = 30 * time.Second
	DefaultLiveMaxRounds = 10
)

// ThresholdOrDefault is the threshold, 30s when unset.
func (l LivePlan) ThresholdOrDefault() time.Duration {
	if l.Threshold.Duration > 0 {
		return l.Threshold.Duration
	}
	return DefaultLiveThreshold
}

// MaxRoundsOrDefault is the round limit, 10 when unset.
func (l LivePlan) MaxRoundsOrDefault() int {
	if l.MaxRounds > 0 {
		return l.MaxRounds
	}
	return DefaultLiveMaxRounds
}

func (l LivePlan) validate() error {
	bad := func(field string, m i18n.Msg) error {
		return &PlanError{Field: field, Msg: m.String()}
	}
	if l.Threshold.Duration < 0 || l.Threshold.Duration > 0 && l.Threshold.Duration < time.Second {
		return bad("live.threshold", i18n.M("live.plan.threshold", l.Threshold.String()))
	}
	if l.MaxRounds < 0 || l.MaxRounds > 100 {
		return bad("live.max_rounds", i18n.M("live.plan.maxrounds", l.MaxRounds))
	}
	for alias, index := range l.Aliases {
		if err := ValidateIndexName(alias); err != nil {
			return bad("live.aliases", i18n.M("live.plan.alias", alias, err.Error()))
		}
		if err := ValidateIndexName(index); err != nil {
			return bad("live.aliases", i18n.M("live.plan.aliasindex", alias, index, err.Error()))
		}
	}
	return nil
}

// LiveState is what the state file records of a live migration.
type LiveState struct {
	Rounds  []RoundState  `json:"rounds,omitempty"`
	Cutover *CutoverState `json:"cutover,omitempty"`
	// Earlier are cut-overs rolled back before this one (their block was lifted).
	Earlier []CutoverState `json:"earlier_cutovers,omitempty"`
}

// RoundState is one catch-up round: an incremental snapshot of the changed indices, the copy of its new files,
// the restore over the closed target indices, the verification. Batch holds those steps as a batch's.
type RoundState struct {
	Number  int            `json:"number"`
	Final   bool           `json:"final,omitempty"` // the cut-over's round, under the write block
	Started time.Time      `json:"started"`
	Ended   time.Time      `json:"ended,omitzero"`
	Changed []ChangedIndex `json:"changed"`
	Batch   BatchState     `json:"batch"`
	// The round's own figures: the new files its snapshot had to write (Elasticsearch's incremental figures),
	// what the copy moved, and what the restore reused of the files already on the target and copied anew.
	SnapshotBytes int64 `json:"snapshot_bytes"`
	SnapshotFiles int   `json:"snapshot_files"`
	CopiedBytes   int64 `json:"copied_bytes"`
	RestoredBytes int64 `json:"restored_bytes"` // every primary's files (reused and copied)
	ReusedBytes   int64 `json:"reused_bytes"`
	Files         int   `json:"files"`
	ReusedFiles   int   `json:"reused_files"`
	// Deleted are target indices the restore could not go over, deleted and restored whole (confirmed).
	Deleted []string `json:"deleted,omitempty"`
	// NextEstimate is how long the next round is estimated to take, from this round's figures (estimate.go of
	// the live procedure: nextRoundEstimate).
	NextEstimate time.Duration `json:"next_estimate_ns"`
	Error        string        `json:"error,omitempty"`
}

// Duration of the round (0 until it ended).
func (r RoundState) Duration() time.Duration {
	if r.Ended.IsZero() {
		return 0
	}
	return r.Ended.Sub(r.Started)
}

// ChangedIndex is a migrated index whose source took operations after the snapshot its target copy came from.
type ChangedIndex struct {
	Name   string `json:"name"`
	Target string `json:"target"`
	// Ops is the number of operations (index, update, delete) the source's primaries took since.
	Ops int64 `json:"ops"`
	// Since is the snapshot the target copy came from.
	Since string `json:"since"`
	// Recreated: the source index was deleted and created again (another UUID): nothing of it can be reused.
	Recreated bool `json:"recreated,omitempty"`
	// InFlight: as many operations on both sides, but one is being processed on the source.
	InFlight bool `json:"in_flight,omitempty"`
}

// LiveStatus is where a live migration stands: what the Catch-up and Cut-over screens and the headless lines
// show.
type LiveStatus struct {
	// Indices is how many migrated indices were compared; Changed those whose source moved on.
	Indices int            `json:"indices"`
	Changed []ChangedIndex `json:"changed"`
	// Skipped are migrated indices a round cannot bring up to date, with why (source deleted, target written).
	Skipped []Skip `json:"skipped,omitempty"`
	// Rounds so far (the last one is the latest).
	Rounds []RoundSummary `json:"rounds,omitempty"`
	// NextEstimate is the next round's estimated duration (Estimated false: no round has run to estimate
	// from).
	NextEstimate time.Duration `json:"next_estimate_ns"`
	Estimated    bool          `json:"estimated"`
	Threshold    time.Duration `json:"threshold_ns"`
	// Ready: nothing changed, or the next round is estimated under the threshold: the cut-over's freeze will
	// be about that long.
	Ready bool `json:"ready"`
	// Stalled: the rounds no longer get shorter (writes keep pace with them).
	Stalled bool `json:"stalled,omitempty"`
	// Cutover is the cut-over as the state records it (nil: none).
	Cutover *CutoverState `json:"cutover,omitempty"`
	// Source and Target are the clusters' names: the cut-over is confirmed by typing the source's
	// (CutoverWord), a deletion on the target by typing the target's.
	Source string `json:"source"`
	Target string `json:"target"`
	// StateFile is the migration's state file (for the commands the screens show).
	StateFile string `json:"state_file"`
}

// RoundSummary is one round as the screens show it.
type RoundSummary struct {
	Number        int           `json:"number"`
	Final         bool          `json:"final,omitempty"`
	Indices       int           `json:"indices"`
	Duration      time.Duration `json:"duration_ns"`
	SnapshotBytes int64         `json:"snapshot_bytes"`
	CopiedBytes   int64         `json:"copied_bytes"`
	ReusedBytes   int64         `json:"reused_bytes"`
	RestoredBytes int64         `json:"restored_bytes"`
	NextEstimate  time.Duration `json:"next_estimate_ns"`
	Verified      int           `json:"verified"`
	Failed        bool          `json:"failed,omitempty"`
}

func (r RoundState) summary() RoundSummary {
	s := RoundSummary{Number: r.Number, Final: r.Final, Indices: len(r.Batch.Indices), Duration: r.Duration(),
		SnapshotBytes: r.SnapshotBytes, CopiedBytes: r.CopiedBytes, ReusedBytes: r.ReusedBytes, RestoredBytes: r.RestoredBytes,
		NextEstimate: r.NextEstimate, Failed: r.Error != ""}
	for _, ix := range r.Batch.Indices {
		if ix.Result == ResultVerified {
			s.Verified++
		}
	}
	return s
}

// RoundSnapshotName is the snapshot of a catch-up round: the plan's prefix, the migration's id and the round
// ("r3"), never the name of a batch's snapshot.
func RoundSnapshotName(p Plan, migrationID string, round int) string {
	return fmt.Sprintf("%s-%s-r%d", p.SnapshotName, migrationID, round)
}

// openLive opens a migration's state for catch-up or cut-over: the lock, the state, both clusters (the ones
// the state was written for). The first pass must have restored something.
func (e *Engine) openLive(ctx context.Context, what string) error {
	if !e.opts.DryRun {
		if err := CheckOutputs(e.plan); err != nil {
			return err
		}
	}
	store, err := OpenStore(e.plan.StateFile)
	if err != nil {
		return err
	}
	e.store = store
	if e.state, err = store.Load(""); err != nil {
		store.Close()
		e.store = nil
		if errors.Is(err, ErrNoState) {
			return &InputError{Err: i18n.Errorf("live.nostate", e.plan.StateFile, what)}
		}
		return err
	}
	src, dst, err := e.Connect(ctx)
	if err != nil {
		return err
	}
	e.srcSum, e.dstSum = src, dst
	if err := e.sameClusters(src, dst); err != nil {
		return err
	}
	if e.state.Live == nil {
		e.state.Live = &LiveState{}
	}
	return nil
}

// closeLive releases the state's lock.
func (e *Engine) closeLive() {
	if e.store != nil {
		e.store.Close()
		e.store = nil
	}
}

// migrated lists the indices of the first pass that are on the target (restored, not failed), with the batch
// each belongs to.
func (e *Engine) migrated() []*IndexState {
	var out []*IndexState
	for i := range e.state.Batches {
		b := &e.state.Batches[i]
		if !b.Done && b.Phase != PhaseVerify && b.Phase != PhaseCleanup {
			continue
		}
		if b.Reindex {
			// Moved by _reindex from remote: the target cannot restore these indices, so no snapshot can catch
			// them up, and their sequence numbers were never the source's (issue #16 item 3).
			continue
		}
		for j := range b.Indices {
			ix := &b.Indices[j]
			if ix.Result == ResultFailed || ix.Result == ResultPending {
				continue
			}
			out = append(out, ix)
		}
	}
	return out
}

// unfinished tells whether the first pass has batches left (resume finishes them first).
func (e *Engine) unfinished() []int {
	var out []int
	for _, b := range e.state.Batches {
		if !b.Done {
			out = append(out, b.Number)
		}
	}
	return out
}

// batchOf is the snapshot the target copy of an index came from.
func (e *Engine) sinceSnapshot(ix *IndexState) string {
	if ix.CaughtUpFrom != "" {
		return ix.CaughtUpFrom
	}
	for _, b := range e.state.Batches {
		for _, x := range b.Indices {
			if x.Name == ix.Name {
				return b.Snapshot
			}
		}
	}
	return ""
}

// detectChanges compares, for every migrated index, the source's primaries now with the target copy's
// (sequence numbers and the source index's UUID, as verification does): an index whose source took operations
// since is changed. A few requests per cluster, whatever the number of indices; nothing is changed anywhere.
func (e *Engine) detectChanges(ctx context.Context) (changed []ChangedIndex, skipped []Skip, n int, err error) {
	live := e.migrated()
	var src, dst []string
	for _, ix := range live {
		src = append(src, ix.Name)
		dst = append(dst, ix.Target)
	}
	if len(live) == 0 {
		return nil, nil, 0, nil
	}
	var srcSeq, dstSeq map[string]esclient.IndexSeqNos
	err = e.retry(ctx, PhaseCatchUp, 0, func() (err error) {
		if srcSeq, err = e.src.SeqNos(ctx, src); err != nil {
			return err
		}
		dstSeq, err = e.dst.SeqNos(ctx, dst)
		return err
	})
	if err != nil {
		return nil, nil, 0, err
	}
	for _, ix := range live {
		s, sok := srcSeq[ix.Name]
		t, tok := dstSeq[ix.Target]
		switch {
		case !sok:
			skipped = append(skipped, Skip{Index: ix.Name, Reason: i18n.M("live.skip.sourcegone", ix.Name, ix.Target).String()})
			continue
		case !tok:
			skipped = append(skipped, Skip{Index: ix.Name, Reason: i18n.M("live.skip.targetgone", ix.Target).String()})
			continue
		}
		c := compareSeqNos(s, t)
		recreated := ix.SourceUUID != "" && s.UUID != ix.SourceUUID
		if c.targetAhead > 0 && !recreated {
			// Restoring over it would throw away what was written to the target since esmigrate restored it.
			skipped = append(skipped, Skip{Index: ix.Name, Reason: i18n.M("live.skip.targetwritten", ix.Target, c.targetAhead).String()})
			continue
		}
		if c.ops > 0 || c.inFlight || recreated {
			changed = append(changed, ChangedIndex{Name: ix.Name, Target: ix.Target, Ops: c.ops, Since: e.sinceSnapshot(ix),
				Recreated: recreated, InFlight: c.inFlight && c.ops == 0})
		}
	}
	sort.Slice(changed, func(i, j int) bool { return changed[i].Name < changed[j].Name })
	return changed, skipped, len(live), nil
}

// status is where the live migration stands, from the state and a fresh change detection.
func (e *Engine) status(changed []ChangedIndex, skipped []Skip, n int) *LiveStatus {
	st := &LiveStatus{Indices: n, Changed: changed, Skipped: skipped, Threshold: e.plan.Live.ThresholdOrDefault(),
		Source: CutoverWord(e.srcSum), Target: e.dstSum.Info.ClusterName, StateFile: e.plan.StateFile}
	if e.state.Live != nil {
		for _, r := range e.state.Live.Rounds {
			st.Rounds = append(st.Rounds, r.summary())
		}
		if c := e.state.Live.Cutover; c != nil {
			cp := *c
			st.Cutover = &cp
		}
	}
	if rs := e.lastRound(); rs != nil && rs.Error == "" && !rs.Ended.IsZero() {
		// The next round's bytes grow with the time since the last round's snapshot: estimated now.
		st.NextEstimate, st.Estimated = e.nextRoundEstimate(rs, e.opts.Now()), true
		st.Stalled = stalled(st.Rounds)
	}
	st.Ready = len(changed) == 0 || st.Estimated && st.NextEstimate <= st.Threshold
	return st
}

// stalled tells whether the last rounds stopped getting shorter: the second of the last two took at least 90%
// of the first's time and is estimated to be followed by one as long.
func stalled(rounds []RoundSummary) bool {
	var done []RoundSummary
	for _, r := range rounds {
		if !r.Final && !r.Failed && r.Duration > 0 {
			done = append(done, r)
		}
	}
	if len(done) < 2 {
		return false
	}
	a, b := done[len(done)-2], done[len(done)-1]
	return b.Duration*10 >= a.Duration*9 && b.NextEstimate*10 >= a.NextEstimate*9
}

// LiveStatus reads where a live migration stands (the Catch-up screen's figures): which migrated indices
// changed on the source since their snapshot, the rounds so far and the next one's estimate. It changes nothing.
func (e *Engine) LiveStatus(ctx context.Context) (*LiveStatus, error) {
	if err := e.openLive(ctx, "catch-up"); err != nil {
		return nil, err
	}
	defer e.closeLive()
	changed, skipped, n, err := e.detectChanges(ctx)
	if err != nil {
		return nil, err
	}
	return e.status(changed, skipped, n), nil
}

// emitStatus hands the live status to the listener.
func (e *Engine) emitStatus(phase Phase, st *LiveStatus, m i18n.Msg) {
	e.emit(Event{Kind: KindLog, Level: LevelInfo, Phase: phase, Batches: e.batches(), Live: st, Msg: m})
}
