package steps

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/i18n"
)

// The cut-over: after the operator typed a confirmation, a write block on the source indices
// (PUT <index>/_block/write, which waits for the writes in flight), the last catch-up round under it (its restore
// drops the block from the restored settings), a verification by sequence numbers, the aliases moved on the
// target: the write freeze ends there and the writers can move to the target. Content verification follows
// while the source stays blocked. `esmigrate cutover --rollback` lifts the block and moves the aliases back at
// any point.
//
// The block is the only change esmigrate ever makes to a source index. The state file records it before it is
// sent (a crash leaves the state saying that the block may be on: resume and rollback pick that up), and the
// source guard passes it only for the cut-over's indices and only while the state says that a confirmed
// cut-over runs (grantBlock).

// Cut-over phases, in order.
const (
	CutoverBlock   = "block"   // the write block is being set
	CutoverRound   = "round"   // the last round, under the block
	CutoverVerify  = "verify"  // every index verified by sequence numbers
	CutoverAliases = "aliases" // aliases moved on the target; then the freeze ends
	CutoverContent = "content" // content verification, the source still blocked
	CutoverDone    = "done"
	CutoverRolled  = "rolled-back"
)

// CutoverPhaseMsg is a cut-over phase in words (the state file keeps the phase's name).
func CutoverPhaseMsg(phase string) i18n.Msg {
	switch phase {
	case CutoverBlock, CutoverRound, CutoverVerify, CutoverAliases, CutoverContent, CutoverDone, CutoverRolled:
		return i18n.M("live.phase." + phase)
	}
	return i18n.Text(phase) // a phase of another version: its name as the state file has it
}

// CutoverState is the cut-over as the state file records it.
type CutoverState struct {
	ConfirmedAt time.Time `json:"confirmed_at"`
	// Confirmation is what the operator typed (the source cluster's name).
	Confirmation string `json:"confirmation"`
	// Indices are the source indices esmigrate write-blocks (and lifts the block of on rollback).
	Indices []string `json:"indices"`
	// AlreadyBlocked were write-blocked before the cut-over: esmigrate neither sets nor lifts their block.
	AlreadyBlocked []string `json:"already_blocked,omitempty"`
	Phase          string   `json:"phase"`
	// BlockRequestedAt is saved before the block request is sent: from then on the block may be on. The
	// freeze is counted from it.
	BlockRequestedAt time.Time `json:"block_requested_at,omitzero"`
	// BlockSetAt: the block was read back as set on every index.
	BlockSetAt time.Time `json:"block_set_at,omitzero"`
	// FreezeEnd: the last round verified and the aliases moved: the writers can move to the target.
	FreezeEnd time.Time     `json:"freeze_end,omitzero"`
	Freeze    time.Duration `json:"freeze_ns,omitempty"`
	// FinalRound is the number of the round run under the block (0: none yet, or nothing had changed).
	FinalRound int         `json:"final_round,omitempty"`
	Aliases    []AliasMove `json:"aliases,omitempty"`
	// SeqNoVerified is how many of the indices verified by sequence numbers under the block.
	SeqNoVerified int `json:"seqno_verified"`
	// Content is content verification's outcome, run after the freeze (nil: not run).
	Content      *LiveContent `json:"content,omitempty"`
	RolledBack   bool         `json:"rolled_back,omitempty"`
	RolledBackAt time.Time    `json:"rolled_back_at,omitzero"`
	Error        string       `json:"error,omitempty"`
}

// AliasMove is one alias moved on the target at the cut-over: to Index, from the indices that held it before
// (Previous), which rollback gives it back to.
type AliasMove struct {
	Alias    string   `json:"alias"`
	Index    string   `json:"index"`
	Previous []string `json:"previous,omitempty"`
	Sent     bool     `json:"sent,omitempty"` // the request may have been applied
	Done     bool     `json:"done,omitempty"`
}

// LiveContent is content verification's outcome after the freeze.
type LiveContent struct {
	Indices     int     `json:"indices"`
	Verified    int     `json:"verified"`
	Differences int64   `json:"differences"`
	Seconds     float64 `json:"seconds"`
}

// Done tells whether the cut-over finished (the source stays blocked until a rollback).
func (c *CutoverState) Done() bool { return c != nil && !c.RolledBack && c.Phase == CutoverDone }

// Active tells whether a confirmed cut-over runs: started, neither finished nor rolled back.
func (c *CutoverState) Active() bool { return c != nil && !c.RolledBack && c.Phase != CutoverDone }

// BlockMayBeOn tells whether the state says that the write block may be on the source: its request may have
// been sent, and no rollback lifted it.
func (c *CutoverState) BlockMayBeOn() bool {
	return c != nil && !c.RolledBack && !c.BlockRequestedAt.IsZero()
}

// FreezeSoFar is how long the writers have been frozen at now (the whole freeze once it ended).
func (c *CutoverState) FreezeSoFar(now time.Time) time.Duration {
	switch {
	case c == nil || c.BlockRequestedAt.IsZero():
		return 0
	case !c.FreezeEnd.IsZero():
		return c.Freeze
	}
	return now.Sub(c.BlockRequestedAt)
}

// CutoverOptions are the operator's answers.
type CutoverOptions struct {
	// Confirm is what the operator typed: it must be the source cluster's name (Elasticsearch's cluster_name).
	Confirm string
	// Aliases to move on the target, alias → target index, besides the plan's live.aliases.
	Aliases map[string]string
	// NoContent skips content verification after the freeze (the report then says so).
	NoContent bool
}

// CutoverWord is what the operator types to confirm a cut-over: the source cluster's name.
func CutoverWord(src ClusterSummary) string { return src.Info.ClusterName }

// supportsWriteBlockAPI tells whether a source has PUT <index>/_block/write: Elasticsearch 7.9 and later, every
// OpenSearch.
func supportsWriteBlockAPI(s ClusterSummary) bool {
	v := s.Info.Version
	return s.Info.Distribution == esclient.OpenSearch || v.Major > 7 || v.Major == 7 && v.Minor >= 9
}

// Cutover runs (or, when the state says one runs, resumes) the cut-over from a migration's state file.
func (e *Engine) Cutover(ctx context.Context, o CutoverOptions) (*Report, error) {
	if err := e.openLive(ctx, "cutover"); err != nil {
		return nil, stoppedCutover(ctx, err, e.plan.StateFile)
	}
	defer e.closeLive()
	return e.cutover(ctx, o)
}

func stoppedCutover(ctx context.Context, err error, state string) error {
	if ctx.Err() != nil {
		return &StoppedError{Phase: PhaseCutover, StatePath: state}
	}
	return err
}

// resumeCutover is Run's way into a cut-over the state says runs (esmigrate resume after a crash or a stop):
// the block may be on, and the cut-over goes on from its phase.
func (e *Engine) resumeCutover(ctx context.Context) (*Report, error) {
	if e.state.Live == nil || !e.state.Live.Cutover.Active() {
		return nil, nil
	}
	return e.cutover(ctx, CutoverOptions{})
}

// cutover is the cut-over on a loaded state and connected clusters.
func (e *Engine) cutover(ctx context.Context, o CutoverOptions) (*Report, error) {
	c := e.state.Live.Cutover
	switch {
	case c.Done():
		return e.buildReport(), i18n.Errorf("live.cutover.already", c.FreezeEnd.Format(time.RFC3339), c.Freeze.Round(100*time.Millisecond), e.plan.StateFile)
	case c.Active():
		since := "-"
		if !c.BlockRequestedAt.IsZero() {
			since = c.BlockRequestedAt.Format(time.RFC3339)
		}
		e.say(PhaseCutover, 0, LevelWarn, "live.cutover.resume", len(c.Indices), since, CutoverPhaseMsg(c.Phase), e.plan.StateFile)
	default:
		var err error
		if c, err = e.newCutover(ctx, o); err != nil {
			return nil, err
		}
	}
	if e.opts.DryRun {
		return nil, e.dryCutover(ctx, c)
	}
	revoke := e.grantBlock()
	defer revoke()
	e.emitStatus(PhaseCutover, e.status(nil, nil, 0), i18n.M("live.cutover.start", len(c.Indices)))
	for c.Phase != CutoverDone {
		var err error
		switch c.Phase {
		case CutoverBlock:
			err = e.setBlock(ctx, c)
		case CutoverRound:
			err = e.finalRound(ctx, c)
		case CutoverVerify:
			err = e.verifyUnderBlock(ctx, c)
		case CutoverAliases:
			err = e.moveAliases(ctx, c)
		case CutoverContent:
			err = e.contentAfterFreeze(ctx, c)
		default:
			err = i18n.Errorf("live.cutover.unknownphase", c.Phase)
		}
		if err != nil {
			if ctx.Err() != nil {
				e.say(PhaseCutover, 0, LevelWarn, "live.cutover.stopped", len(c.Indices), e.plan.StateFile, e.plan.StateFile)
				return e.buildReport(), &StoppedError{Phase: PhaseCutover, StatePath: e.plan.StateFile}
			}
			c.Error = err.Error()
			_ = e.save()
			e.say(PhaseCutover, 0, LevelError, "live.cutover.failed", err, e.plan.StateFile, e.plan.StateFile)
			return e.buildReport(), err
		}
		c.Error = ""
		if err := e.save(); err != nil {
			return nil, err
		}
	}
	rep := e.buildReport()
	if err := e.writeReport(rep); err != nil {
		e.say(PhaseReport, 0, LevelError, "report.notwritten", err)
		return rep, err
	}
	if rep.Mismatched > 0 || rep.Failed > 0 || rep.Changed > 0 || rep.Unverified > 0 {
		return rep, i18n.Errorf("live.cutover.differs", rep.Summary(), rep.Markdown)
	}
	return rep, nil
}

// newCutover checks that a cut-over may start and records the operator's confirmation.
func (e *Engine) newCutover(ctx context.Context, o CutoverOptions) (*CutoverState, error) {
	if err := e.liveAllowed(); err != nil {
		return nil, err
	}
	if !supportsWriteBlockAPI(e.srcSum) {
		return nil, i18n.Errorf("live.cutover.oldsource", e.srcSum.Info.Product())
	}
	word := CutoverWord(e.srcSum)
	// A dry run sends nothing that changes the source and saves no state: it needs no confirmation (the
	// command does not ask for one), but a name given with it is still checked.
	if (!e.opts.DryRun || o.Confirm != "") && strings.TrimSpace(o.Confirm) != word {
		return nil, &InputError{Err: i18n.Errorf("live.cutover.confirm", word, o.Confirm)}
	}
	moves, err := e.aliasMoves(o.Aliases)
	if err != nil {
		return nil, &InputError{Err: err}
	}
	var names []string
	for _, ix := range e.migrated() {
		names = append(names, ix.Name)
	}
	var blocked map[string]bool
	if err := e.retry(ctx, PhaseCutover, 0, func() (err error) { blocked, err = e.src.WriteBlocked(ctx, names); return }); err != nil {
		return nil, err
	}
	c := &CutoverState{ConfirmedAt: e.opts.Now(), Confirmation: word, Phase: CutoverBlock, Aliases: moves}
	for _, n := range names {
		switch has, ok := blocked[n]; {
		case !ok:
			e.say(PhaseCutover, 0, LevelWarn, "live.cutover.gone", n)
		case has:
			c.AlreadyBlocked = append(c.AlreadyBlocked, n)
		default:
			c.Indices = append(c.Indices, n)
		}
	}
	if len(c.AlreadyBlocked) > 0 {
		e.say(PhaseCutover, 0, LevelInfo, "live.cutover.alreadyblocked", strings.Join(c.AlreadyBlocked, ", "))
	}
	if len(c.Indices) == 0 {
		return nil, i18n.Errorf("live.cutover.noindex")
	}
	if st := e.state.Live; st.Cutover != nil {
		st.Earlier = append(st.Earlier, *st.Cutover)
	}
	e.state.Live.Cutover = c
	if err := e.save(); err != nil {
		return nil, err
	}
	e.say(PhaseCutover, 0, LevelInfo, "live.cutover.confirmed", len(c.Indices), word)
	return c, nil
}

// aliasMoves are the plan's aliases and the operator's, checked against the migration's target indices.
func (e *Engine) aliasMoves(extra map[string]string) ([]AliasMove, error) {
	all := map[string]string{}
	for a, ix := range e.plan.Live.Aliases {
		all[a] = ix
	}
	for a, ix := range extra {
		all[a] = ix
	}
	targets := map[string]bool{}
	for _, ix := range e.migrated() {
		targets[ix.Target] = true
	}
	var out []AliasMove
	for _, a := range slices.Sorted(maps.Keys(all)) {
		ix := all[a]
		if err := ValidateIndexName(a); err != nil {
			return nil, i18n.Errorf("live.alias.name", a, err.Error())
		}
		if !targets[ix] {
			return nil, i18n.Errorf("live.alias.target", a, ix)
		}
		out = append(out, AliasMove{Alias: a, Index: ix})
	}
	return out, nil
}

// grantBlock gives the source guard the cut-over's permission, from the state: the write block and its lifting
// for the cut-over's indices only, and only when the state records a confirmed cut-over that was not rolled
// back. It returns the function that takes the permission back.
func (e *Engine) grantBlock() (revoke func()) {
	g := e.src.Guard()
	c := e.state.Live.Cutover
	if g == nil || c == nil || c.ConfirmedAt.IsZero() || c.Confirmation == "" || c.RolledBack {
		return func() {}
	}
	g.PermitWriteBlock(c.Indices)
	return func() { g.PermitWriteBlock(nil) }
}

// setBlock puts the write block on the source indices. The state says so before the request goes out.
func (e *Engine) setBlock(ctx context.Context, c *CutoverState) error {
	if c.BlockRequestedAt.IsZero() {
		c.BlockRequestedAt = e.opts.Now()
		if err := e.save(); err != nil {
			return err
		}
	}
	for _, chunk := range esclient.IndexChunks(c.Indices, "/_block/write") {
		op := i18n.M("live.req.block", strings.Join(chunk, ", "))
		// Idempotent: setting the block again changes nothing.
		if err := e.retry(ctx, PhaseCutover, 0, func() error {
			return e.request(ctx, e.src, PhaseCutover, 0, op, esclient.WriteBlockRequest(chunk))
		}); err != nil {
			return i18n.Errorf("live.block.failed", err, e.plan.StateFile)
		}
	}
	// Read back from the source: every index blocked.
	var blocked map[string]bool
	if err := e.retry(ctx, PhaseCutover, 0, func() (err error) { blocked, err = e.src.WriteBlocked(ctx, c.Indices); return }); err != nil {
		return err
	}
	var missing []string
	for _, n := range c.Indices {
		if !blocked[n] {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return i18n.Errorf("live.block.notset", strings.Join(missing, ", "), e.plan.StateFile)
	}
	c.BlockSetAt = e.opts.Now()
	c.Phase = CutoverRound
	e.emitStatus(PhaseCutover, e.status(nil, nil, 0), i18n.M("live.block.on", len(c.Indices), c.BlockSetAt.Sub(c.BlockRequestedAt).Round(time.Millisecond)))
	return nil
}

// finalRound runs the last round for what changed before the block took effect. The freeze is short only if
// its end is noticed at once: the polls of this round come every 200 ms at most.
func (e *Engine) finalRound(ctx context.Context, c *CutoverState) error {
	defer func(d Duration) { e.plan.PollInterval = d }(e.plan.PollInterval)
	e.plan.PollInterval = Duration{min(e.plan.PollInterval.Duration, 200*time.Millisecond)}
	if c.FinalRound > 0 {
		if rs := e.roundByNumber(c.FinalRound); rs != nil && !rs.Batch.Done {
			if _, err := e.finishRound(ctx, rs); err != nil {
				return err
			}
			c.Phase = CutoverVerify
			return nil
		}
	}
	changed, skipped, _, err := e.detectChanges(ctx)
	if err != nil {
		return err
	}
	for _, s := range skipped {
		e.say(PhaseCutover, 0, LevelWarn, "live.skip", s.Index, s.Reason)
	}
	if len(changed) > 0 {
		c.FinalRound = len(e.state.Live.Rounds) + 1
		if err := e.save(); err != nil {
			return err
		}
		e.say(PhaseCutover, 0, LevelInfo, "live.final.start", len(changed))
		if _, err := e.runRound(ctx, changed, true); err != nil {
			return err
		}
	} else {
		e.say(PhaseCutover, 0, LevelInfo, "live.final.none")
	}
	c.Phase = CutoverVerify
	return nil
}

func (e *Engine) roundByNumber(n int) *RoundState {
	for i := range e.state.Live.Rounds {
		if e.state.Live.Rounds[i].Number == n {
			return &e.state.Live.Rounds[i]
		}
	}
	return nil
}

// verifyUnderBlock verifies every cut-over index by sequence numbers, the source blocked: equal means the
// target holds every operation the source took. One that is not sends the cut-over back to a new last round.
func (e *Engine) verifyUnderBlock(ctx context.Context, c *CutoverState) error {
	defer func(d Duration) { e.plan.PollInterval = d }(e.plan.PollInterval)
	e.plan.PollInterval = Duration{min(e.plan.PollInterval.Duration, 200*time.Millisecond)}
	verified, bad := 0, []string{}
	for i := range e.state.Batches {
		b := &e.state.Batches[i]
		if !e.batchHas(b, c.Indices) {
			continue
		}
		live, err := e.verifyBatch(ctx, b, VerifySeqNo)
		if err != nil {
			return err
		}
		for _, ix := range live {
			if !slices.Contains(c.Indices, ix.Name) {
				continue
			}
			if ix.Result == ResultVerified {
				verified++
			} else {
				bad = append(bad, ix.Name+" ("+ix.Result+")")
			}
		}
	}
	c.SeqNoVerified = verified
	if len(bad) > 0 {
		// Another last round brings them up to date (the source stays blocked: nothing changes on it).
		c.Phase, c.FinalRound = CutoverRound, 0
		_ = e.save()
		return i18n.Errorf("live.verify.notequal", strings.Join(bad, ", "), e.plan.StateFile, e.plan.StateFile)
	}
	e.say(PhaseCutover, 0, LevelInfo, "live.verify.ok", verified)
	c.Phase = CutoverAliases
	return nil
}

func (e *Engine) batchHas(b *BatchState, names []string) bool {
	for _, ix := range b.Indices {
		if slices.Contains(names, ix.Name) {
			return true
		}
	}
	return false
}

// moveAliases moves the plan's aliases on the target, each in one atomic request, recording first where each
// pointed (rollback gives it back). Then the freeze ends: the writers can move to the target.
func (e *Engine) moveAliases(ctx context.Context, c *CutoverState) error {
	for i := range c.Aliases {
		m := &c.Aliases[i]
		if m.Done {
			continue
		}
		if !m.Sent {
			var holders []string
			if err := e.retry(ctx, PhaseCutover, 0, func() (err error) { holders, err = e.dst.AliasHolders(ctx, m.Alias); return }); err != nil {
				return err
			}
			m.Previous = slices.DeleteFunc(holders, func(h string) bool { return h == m.Index })
			m.Sent = true
			if err := e.save(); err != nil {
				return err
			}
		}
		var acts []esclient.AliasAction
		for _, p := range m.Previous {
			acts = append(acts, esclient.AliasAction{Index: p, Alias: m.Alias})
		}
		acts = append(acts, esclient.AliasAction{Add: true, Index: m.Index, Alias: m.Alias})
		op := i18n.M("live.req.alias", m.Alias, m.Index, strings.Join(m.Previous, ", "))
		if err := e.retry(ctx, PhaseCutover, 0, func() error {
			return e.request(ctx, e.dst, PhaseCutover, 0, op, esclient.AliasesRequest(acts))
		}); err != nil {
			return err
		}
		m.Done = true
		if err := e.save(); err != nil {
			return err
		}
	}
	c.FreezeEnd = e.opts.Now()
	c.Freeze = c.FreezeEnd.Sub(c.BlockRequestedAt)
	c.Phase = CutoverContent
	e.emitStatus(PhaseCutover, e.status(nil, nil, 0), i18n.M("live.freeze.over", c.Freeze.Round(time.Millisecond), len(c.Indices)))
	return nil
}

// contentAfterFreeze compares every document of the cut-over's indices on both sides, the source still
// blocked (nothing changes on it while it is read).
func (e *Engine) contentAfterFreeze(ctx context.Context, c *CutoverState) error {
	start := e.opts.Now()
	res := &LiveContent{}
	for i := range e.state.Batches {
		b := &e.state.Batches[i]
		if !e.batchHas(b, c.Indices) {
			continue
		}
		live, err := e.verifyBatch(ctx, b, VerifyContent)
		if err != nil {
			return err
		}
		for _, ix := range live {
			if !slices.Contains(c.Indices, ix.Name) {
				continue
			}
			res.Indices++
			if ix.Result == ResultVerified {
				res.Verified++
			}
			if ix.Content != nil {
				res.Differences += ix.Content.Differences
			}
		}
	}
	res.Seconds = e.opts.Now().Sub(start).Seconds()
	c.Content = res
	c.Phase = CutoverDone
	e.say(PhaseCutover, 0, LevelInfo, "live.content.done", res.Verified, res.Indices, res.Differences, e.plan.StateFile)
	return nil
}

// dryCutover shows the requests a cut-over sends, and sends none.
func (e *Engine) dryCutover(ctx context.Context, c *CutoverState) error {
	for _, chunk := range esclient.IndexChunks(c.Indices, "/_block/write") {
		_ = e.request(ctx, e.src, PhaseCutover, 0, i18n.M("live.req.block", strings.Join(chunk, ", ")), esclient.WriteBlockRequest(chunk))
	}
	changed, _, _, err := e.detectChanges(ctx)
	if err != nil {
		return err
	}
	if len(changed) > 0 {
		if _, err := e.runRound(ctx, changed, true); err != nil {
			return err
		}
	}
	for _, m := range c.Aliases {
		_ = e.request(ctx, e.dst, PhaseCutover, 0, i18n.M("live.req.alias", m.Alias, m.Index, ""),
			esclient.AliasesRequest([]esclient.AliasAction{{Add: true, Index: m.Index, Alias: m.Alias}}))
	}
	return nil
}

// Rollback lifts the cut-over's write block from the source indices and moves the aliases back, whatever phase
// the cut-over is in (or after it finished). It reads the block back from the source to say it is off.
func (e *Engine) Rollback(ctx context.Context) (*CutoverState, error) {
	if err := e.openLive(ctx, "cutover --rollback"); err != nil {
		return nil, stoppedCutover(ctx, err, e.plan.StateFile)
	}
	defer e.closeLive()
	c := e.state.Live.Cutover
	if c == nil || c.ConfirmedAt.IsZero() {
		e.say(PhaseCutover, 0, LevelInfo, "live.rollback.none", e.plan.StateFile)
		return nil, nil
	}
	if c.RolledBack {
		e.say(PhaseCutover, 0, LevelInfo, "live.rollback.again", c.RolledBackAt.Format(time.RFC3339))
	}
	// The permission comes from the state's confirmed cut-over; a cut-over rolled back before is looked at
	// again (its block read, lifted if it is still there) with the same indices.
	g := e.src.Guard()
	if g != nil {
		g.PermitWriteBlock(c.Indices)
		defer g.PermitWriteBlock(nil)
	}
	var blocked map[string]bool
	if err := e.retry(ctx, PhaseCutover, 0, func() (err error) { blocked, err = e.src.WriteBlocked(ctx, c.Indices); return }); err != nil {
		return c, stoppedCutover(ctx, err, e.plan.StateFile)
	}
	var lift []string
	for _, n := range c.Indices {
		if blocked[n] {
			lift = append(lift, n)
		}
	}
	for _, chunk := range esclient.IndexChunks(lift, "/_settings") {
		op := i18n.M("live.req.lift", strings.Join(chunk, ", "))
		if err := e.retry(ctx, PhaseCutover, 0, func() error {
			return e.request(ctx, e.src, PhaseCutover, 0, op, esclient.LiftWriteBlockRequest(chunk))
		}); err != nil {
			return c, stoppedCutover(ctx, err, e.plan.StateFile)
		}
	}
	if err := e.undoAliases(ctx, c); err != nil {
		return c, stoppedCutover(ctx, err, e.plan.StateFile)
	}
	if e.opts.DryRun {
		return c, nil
	}
	if err := e.retry(ctx, PhaseCutover, 0, func() (err error) { blocked, err = e.src.WriteBlocked(ctx, c.Indices); return }); err != nil {
		return c, err
	}
	var still []string
	for _, n := range c.Indices {
		if blocked[n] {
			still = append(still, n)
		}
	}
	if len(still) > 0 {
		return c, i18n.Errorf("live.rollback.still", strings.Join(still, ", "))
	}
	c.RolledBack, c.RolledBackAt, c.Phase = true, e.opts.Now(), CutoverRolled
	if err := e.save(); err != nil {
		return c, err
	}
	e.say(PhaseCutover, 0, LevelInfo, "live.rollback.done", len(lift), len(c.Indices), countSent(c.Aliases))
	return c, nil
}

func countSent(ms []AliasMove) int {
	n := 0
	for _, m := range ms {
		if m.Sent {
			n++
		}
	}
	return n
}

// undoAliases gives every alias the cut-over moved (or may have moved) back to the indices that held it.
func (e *Engine) undoAliases(ctx context.Context, c *CutoverState) error {
	for i := len(c.Aliases) - 1; i >= 0; i-- {
		m := &c.Aliases[i]
		if !m.Sent {
			continue
		}
		var holders []string
		if err := e.retry(ctx, PhaseCutover, 0, func() (err error) { holders, err = e.dst.AliasHolders(ctx, m.Alias); return }); err != nil {
			return err
		}
		var acts []esclient.AliasAction
		if slices.Contains(holders, m.Index) && !slices.Contains(m.Previous, m.Index) {
			acts = append(acts, esclient.AliasAction{Index: m.Index, Alias: m.Alias})
		}
		var exist map[string]bool
		if len(m.Previous) > 0 {
			if err := e.retry(ctx, PhaseCutover, 0, func() (err error) { exist, err = e.dst.Exists(ctx, m.Previous); return }); err != nil {
				return err
			}
		}
		for _, p := range m.Previous {
			if !slices.Contains(holders, p) && exist[p] {
				acts = append(acts, esclient.AliasAction{Add: true, Index: p, Alias: m.Alias})
			}
		}
		if len(acts) > 0 {
			op := i18n.M("live.req.aliasback", m.Alias, strings.Join(m.Previous, ", "), m.Index)
			if err := e.retry(ctx, PhaseCutover, 0, func() error {
				return e.request(ctx, e.dst, PhaseCutover, 0, op, esclient.AliasesRequest(acts))
			}); err != nil {
				return err
			}
		}
		if !e.opts.DryRun {
			m.Sent, m.Done = false, false
			if err := e.save(); err != nil {
				return err
			}
		}
	}
	return nil
}

// LiveReport is the live migration's part of the report: the rounds, the freeze, and what was verified.
type LiveReport struct {
	Rounds  []RoundSummary `json:"rounds"`
	Cutover *CutoverState  `json:"cutover,omitempty"`
}

// liveReport is the state's live migration for the report (nil when there was none).
func (e *Engine) liveReport() *LiveReport {
	if e.state == nil || e.state.Live == nil || len(e.state.Live.Rounds) == 0 && e.state.Live.Cutover == nil {
		return nil
	}
	r := &LiveReport{}
	for _, rs := range e.state.Live.Rounds {
		r.Rounds = append(r.Rounds, rs.summary())
	}
	if c := e.state.Live.Cutover; c != nil {
		cp := *c
		r.Cutover = &cp
	}
	return r
}

// Markdown renders the live part of the report, in English.
func (r *LiveReport) Markdown() string { return r.MarkdownIn(i18n.English) }

// MarkdownIn renders the live part of the report in l's language.
func (r *LiveReport) MarkdownIn(l *i18n.Localizer) string {
	if r == nil {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n## %s\n\n", l.T("report.md.live.title"))
	if len(r.Rounds) > 0 {
		fmt.Fprintf(&b, "%s\n|---:|---:|---:|---:|---:|---:|---:|\n", l.T("report.md.live.header"))
		for _, s := range r.Rounds {
			name := fmt.Sprint(s.Number)
			next := s.NextEstimate.Round(100 * time.Millisecond).String()
			if s.Final {
				name, next = l.T("report.md.live.final", s.Number), "-"
			}
			fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s / %s | %s |\n", name, s.Indices, s.Duration.Round(10*time.Millisecond),
				HumanBytes(s.SnapshotBytes), HumanBytes(s.CopiedBytes), HumanBytes(s.ReusedBytes), HumanBytes(s.RestoredBytes), next)
		}
	}
	c := r.Cutover
	if c == nil {
		fmt.Fprintf(&b, "\n%s\n", l.T("report.md.live.nocutover"))
		return b.String()
	}
	b.WriteString("\n")
	line := func(key string, args ...any) { fmt.Fprintf(&b, "- %s\n", l.T(key, args...)) }
	switch {
	case c.RolledBack:
		line("report.md.live.rolledback", c.RolledBackAt.UTC().Format(time.RFC3339))
	case c.Done():
		line("report.md.live.freeze", c.Freeze.Round(time.Millisecond), c.BlockRequestedAt.UTC().Format(time.RFC3339Nano), c.FreezeEnd.UTC().Format(time.RFC3339Nano), len(c.Indices))
		line("report.md.live.staysblocked")
	default:
		line("report.md.live.running", l.Msg(CutoverPhaseMsg(c.Phase)), c.BlockRequestedAt.UTC().Format(time.RFC3339))
	}
	if c.SeqNoVerified > 0 {
		line("report.md.live.seqno", c.SeqNoVerified, len(c.Indices))
	}
	if ct := c.Content; ct != nil {
		line("report.md.live.content", ct.Verified, ct.Indices, ct.Differences, fmt.Sprintf("%.1f", ct.Seconds))
	}
	for _, m := range c.Aliases {
		prev := l.T("report.md.live.aliasnone")
		if len(m.Previous) > 0 {
			prev = strings.Join(m.Previous, ", ")
		}
		key := "report.md.live.aliasmoved"
		if !m.Done {
			key = "report.md.live.aliasnotmoved"
		}
		line(key, m.Alias, m.Index, prev)
	}
	if len(c.AlreadyBlocked) > 0 {
		sorted := append([]string(nil), c.AlreadyBlocked...)
		sort.Strings(sorted)
		line("report.md.live.alreadyblocked", strings.Join(sorted, ", "))
	}
	return b.String()
}
