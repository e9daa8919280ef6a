package steps

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/i18n"
)

// verifyPhase decides, for every restored index of the batch, whether the target holds what the source holds
// now, in a few requests per cluster whatever the batch's size:
//
//   - count (every mode): top-level documents on both sides after a refresh (_msearch, one line per index);
//   - seqno (default): every primary shard's sequence numbers of the source now against the restored copy, and
//     the source index's UUID against the one recorded when the snapshot was taken (_stats?level=shards);
//   - content: every document's id, routing and _source on both sides (content.go).
//
// Indices moved by _reindex from remote (a reindex batch) are judged by count and, in content mode, by content:
// a reindex gives new sequence numbers, which compare nothing.
//
// Then it puts the original number of replicas back and records the health the indices have after that.
func (e *Engine) verifyPhase(ctx context.Context, b *BatchState) error {
	if e.opts.DryRun {
		return e.putReplicasBack(ctx, b, true)
	}
	live, err := e.verifyBatch(ctx, b, e.plan.Verify)
	if err != nil {
		return err
	}
	if err := e.putReplicasBack(ctx, b, false); err != nil {
		return err
	}
	// Health as it is once the replicas are back: yellow while they are being built (or when the cluster has too
	// few nodes for them), never the green of the zero-replica restore.
	return e.retry(ctx, PhaseVerify, b.Number, func() error { return e.readHealth(ctx, b.Number, live) })
}

// verifyBatch judges the batch's restored indices in the given mode and records the results in the state. It
// returns the indices it judged (those that did not fail before).
func (e *Engine) verifyBatch(ctx context.Context, b *BatchState, mode string) ([]*IndexState, error) {
	var live []*IndexState
	var srcNames, dstNames []string
	for i := range b.Indices {
		ix := &b.Indices[i]
		if ix.Result == ResultFailed {
			continue
		}
		live = append(live, ix)
		srcNames = append(srcNames, ix.Name)
		dstNames = append(dstNames, ix.Target)
	}
	if len(live) == 0 {
		return nil, nil
	}
	var srcCounts, dstCounts map[string]int64
	var srcWhy, dstWhy map[string]string
	var srcSeq, dstSeq map[string]esclient.IndexSeqNos
	err := e.retry(ctx, PhaseVerify, b.Number, func() (err error) {
		// Refresh first, so that counts see every document; a refresh changes none. A source index that is
		// gone is not an error here: the comparison says so.
		if err = e.dst.RefreshExisting(ctx, dstNames); err != nil {
			return err
		}
		if err = e.src.RefreshExisting(ctx, srcNames); err != nil {
			return err
		}
		if srcCounts, srcWhy, err = e.src.Counts(ctx, srcNames); err != nil {
			return err
		}
		if dstCounts, dstWhy, err = e.dst.Counts(ctx, dstNames); err != nil {
			return err
		}
		if mode == VerifyCount || b.Reindex {
			return nil
		}
		if srcSeq, err = e.src.SeqNos(ctx, srcNames); err != nil {
			return err
		}
		dstSeq, err = e.dst.SeqNos(ctx, dstNames)
		return err
	})
	if err != nil {
		return nil, err
	}
	for n, ix := range live {
		sc, sok := srcCounts[ix.Name]
		tc, tok := dstCounts[ix.Target]
		ix.SourceDocs, ix.TargetDocs = sc, tc
		ix.Verification = mode
		ix.Content = nil
		var reason i18n.Msg
		judged := mode
		if b.Reindex {
			judged = VerifyCount // no sequence numbers to compare: the counts, then (content mode) the documents
		}
		ix.Result, reason, ix.ChangedOps = judge(judged, ix, sok, tok, srcWhy[ix.Name], dstWhy[ix.Target], srcSeq, dstSeq)
		ix.setReason(reason)
		msg := i18n.M("verify.counted", ix.Target, ix.SourceDocs, ix.TargetDocs, i18n.M("rep.res."+ix.Result))
		if !reason.IsZero() {
			msg = i18n.Join("list.colon", msg, reason)
		}
		ev := Event{Kind: KindProgress, Phase: PhaseVerify, Batch: b.Number, Batches: e.batches(), Index: ix.Name,
			Done: Counts{Shards: n + 1}, Total: Counts{Shards: len(live)}, Msg: msg}
		if mode == VerifyContent {
			// Its documents are read next: the index is not through yet (the estimator and the bars go by them).
			ev.Total.Docs = max(ix.SourceDocs+ix.TargetDocs, 1)
			ev.Msg = i18n.Join("list.semi", msg, i18n.M("verify.contentnext"))
		}
		e.emit(ev)
		if ix.Result == ResultChanged || ix.Result == ResultMismatch {
			e.say(PhaseVerify, b.Number, LevelWarn, "index.reason", ix.Name, reason)
		}
	}
	if err := e.save(); err != nil {
		return nil, err
	}
	if mode == VerifyContent {
		if err := e.verifyContent(ctx, b, live, srcSeq, dstSeq); err != nil {
			return nil, err
		}
	}
	return live, e.save()
}

// judge decides one index's result from its counts and, beyond count mode, its sequence numbers. It returns the
// result, the reason (what is wrong and what to do) and the operations the source took after the snapshot.
func judge(mode string, ix *IndexState, srcCounted, dstCounted bool, srcWhy, dstWhy string, srcSeq, dstSeq map[string]esclient.IndexSeqNos) (string, i18n.Msg, int64) {
	none := i18n.Msg{}
	if !dstCounted {
		return ResultFailed, i18n.M("verify.targetuncounted", ix.Target, i18n.Name(dstWhy)), 0
	}
	again := i18n.M("verify.again", ix.Target)
	if mode != VerifyCount {
		s, sok := srcSeq[ix.Name]
		t, tok := dstSeq[ix.Target]
		switch {
		case !sok || !srcCounted:
			why := i18n.M("verify.gone")
			if srcWhy != "" {
				why = i18n.Name(srcWhy) // Elasticsearch's words
			}
			return ResultChanged, i18n.M("verify.unreadable", why), 0
		case ix.SourceUUID != "" && s.UUID != ix.SourceUUID:
			return ResultChanged, i18n.Join("list.semi", i18n.M("verify.recreated", ix.SourceUUID, s.UUID), again), 0
		case tok:
			c := compareSeqNos(s, t)
			switch {
			case c.targetAhead > 0:
				return ResultMismatch, i18n.M("verify.targetahead", c.targetAhead, ix.Target), 0
			case c.ops > 0 || c.inFlight:
				what := i18n.M("verify.ops", c.ops)
				if c.ops == 0 {
					what = i18n.M("verify.inflight")
				}
				return ResultChanged, i18n.Join("list.semi", i18n.M("verify.changed", what), again), c.ops
			case c.comparable && srcCounted && ix.SourceDocs == ix.TargetDocs:
				return ResultVerified, none, 0
			}
		}
	}
	if !srcCounted {
		return ResultChanged, i18n.M("verify.uncounted", i18n.Name(srcWhy)), 0
	}
	if ix.SourceDocs != ix.TargetDocs {
		return ResultMismatch, i18n.M("verify.counts", ix.SourceDocs, ix.TargetDocs), 0
	}
	// Equal counts (count mode; or no sequence numbers to compare: an index created before 6.0).
	return ResultVerified, none, 0
}

type seqCompare struct {
	ops         int64 // operations the source took after the snapshot, summed over primaries
	targetAhead int64 // operations the target has that the source does not
	inFlight    bool  // equal max_seq_no but different local checkpoints: an operation being processed
	comparable  bool  // every primary had sequence numbers on both sides, same shards
}

// compareSeqNos compares the source's primaries now with the restored copy's.
func compareSeqNos(src, dst esclient.IndexSeqNos) seqCompare {
	c := seqCompare{comparable: len(src.Primaries) > 0 && len(src.Primaries) == len(dst.Primaries)}
	for shard, s := range src.Primaries {
		t, ok := dst.Primaries[shard]
		if !ok || s.Max < -1 || t.Max < -1 {
			// -2 is "unassigned": an index created before 6.0 has no sequence numbers to compare.
			c.comparable = false
			continue
		}
		switch {
		case s.Max > t.Max:
			c.ops += s.Max - t.Max
		case s.Max < t.Max:
			c.targetAhead += t.Max - s.Max
		case s.LocalCheckpoint != t.LocalCheckpoint:
			c.inFlight = true
		}
	}
	return c
}

// readHealth records the target health of the indices. A red index failed; a
// yellow one is noted with why (replicas being built, or not enough nodes for them).
func (e *Engine) readHealth(ctx context.Context, batch int, live []*IndexState) error {
	var names []string
	for _, ix := range live {
		names = append(names, ix.Target)
	}
	health, err := e.dst.IndicesHealth(ctx, names)
	if err != nil {
		return err
	}
	var yellow []i18n.Msg
	for _, ix := range live {
		h, ok := health[ix.Target]
		if !ok {
			continue
		}
		ix.Health = h.Status
		switch h.Status {
		case "red":
			if ix.Result != ResultFailed {
				ix.Result = ResultFailed
				ix.setReason(i18n.M("verify.red"))
			}
		case "yellow":
			if h.InitializingShards > 0 {
				yellow = append(yellow, i18n.M("verify.yellow.init", ix.Target, h.InitializingShards))
			} else {
				yellow = append(yellow, i18n.M("verify.yellow.unassigned", ix.Target, h.UnassignedShards))
			}
		}
	}
	if len(yellow) > 0 {
		e.say(PhaseVerify, batch, LevelInfo, "verify.yellow", i18n.List("list.comma", yellow))
	}
	return nil
}

// refreshHealth reads the health of every index that got through verification, for the report.
func (e *Engine) refreshHealth(ctx context.Context) error {
	if e.state == nil || e.opts.DryRun {
		return nil
	}
	var live []*IndexState
	for i := range e.state.Batches {
		b := &e.state.Batches[i]
		if !b.Done && b.Phase != PhaseCleanup {
			continue
		}
		for j := range b.Indices {
			if r := b.Indices[j].Result; r != ResultFailed && r != ResultPending {
				live = append(live, &b.Indices[j])
			}
		}
	}
	if len(live) == 0 {
		return nil
	}
	return e.readHealth(ctx, 0, live)
}

// Verify checks a migration's restored indices again, from its state file: after the run, or just before the
// applications are switched over, and after a source that was being written to has stopped. mode is count,
// seqno or content ("" keeps the plan's). Every batch that got past its restore is judged anew; nothing is
// restored, nothing changed on either cluster (refreshes aside). The state records the new results, and a new
// report is written.
func (e *Engine) Verify(ctx context.Context, mode string) (*Report, error) {
	if mode == "" {
		mode = e.plan.Verify
	}
	if !slices.Contains(VerifyModes, mode) {
		return nil, i18n.Errorf("verify.badmode", mode)
	}
	store, err := OpenStore(e.plan.StateFile)
	if err != nil {
		return nil, err
	}
	e.store = store
	defer store.Close()
	if e.state, err = store.Load(""); err != nil {
		if errors.Is(err, ErrNoState) {
			return nil, i18n.Errorf("verify.nostate", e.plan.StateFile)
		}
		return nil, err
	}
	src, dst, err := e.Connect(ctx)
	if err != nil {
		return nil, err
	}
	e.srcSum, e.dstSum = src, dst
	if err := e.sameClusters(src, dst); err != nil {
		return nil, err
	}
	e.plan.Verify = mode
	judged := 0
	for i := range e.state.Batches {
		b := &e.state.Batches[i]
		if !b.Done && b.Phase != PhaseVerify && b.Phase != PhaseCleanup {
			continue // not restored yet: resume finishes it
		}
		e.emit(Event{Kind: KindStart, Phase: PhaseVerify, Batch: b.Number, Batches: e.batches(), Msg: i18n.Name(strings.Join(b.Names(), ", "))})
		m := mode
		if b.Reindex && m == VerifySeqNo {
			m = VerifyCount // a reindex gives new sequence numbers: they compare nothing
		}
		live, err := e.verifyBatch(ctx, b, m)
		if err != nil {
			if ctx.Err() != nil {
				return nil, &StoppedError{Phase: PhaseVerify, Batch: b.Number, StatePath: e.plan.StateFile}
			}
			return nil, err
		}
		if err := e.retry(ctx, PhaseVerify, b.Number, func() error { return e.readHealth(ctx, b.Number, live) }); err != nil {
			return nil, err
		}
		judged += len(live)
		e.emit(Event{Kind: KindDone, Phase: PhaseVerify, Batch: b.Number, Batches: e.batches()})
	}
	if judged == 0 {
		return nil, i18n.Errorf("verify.nothing", e.plan.StateFile)
	}
	rep := e.buildReport()
	if err := e.writeReport(rep); err != nil {
		e.say(PhaseReport, 0, LevelError, "report.notwritten", err)
	}
	if err := e.save(); err != nil {
		return rep, err
	}
	if rep.Verified != len(rep.Rows) {
		return rep, i18n.Errorf("run.notverified", rep.SummaryMsg(), rep.Markdown)
	}
	return rep, nil
}
