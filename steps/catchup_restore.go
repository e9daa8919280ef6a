package steps

import (
	"context"
	"strings"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/i18n"
)

// The restore of a catch-up round (batch.go's restorePhase hands a round's batch here). Elasticsearch restores
// into an existing index only when that index is closed and has as many shards; it then compares the
// snapshot's files with those in the shard's store and copies only the ones that differ (_recovery shows the
// others as reused). Measured on the test runners, every target kind reuses: Elasticsearch 7.17 and 8.19 from a
// 7.17 repository, OpenSearch 2.19 from a 7.10 one (live_integration_test.go proves it on each, through
// _recovery). Where a restore over the closed index is refused (another number of shards: the source index was
// created again), the target index is opened again as it was, and deleted and restored whole only with the
// operator's typed confirmation (AllowTargetDelete).

// roundRestore closes the round's target indices and restores the round's snapshot over them, then follows
// the restore as a batch's.
func (e *Engine) roundRestore(ctx context.Context, b *BatchState) error {
	if e.opts.DryRun {
		var targets []string
		for _, ix := range b.Indices {
			targets = append(targets, ix.Target)
		}
		for _, chunk := range esclient.IndexChunks(targets, "/_close") {
			if err := e.request(ctx, e.dst, PhaseRestore, b.Number, i18n.M("live.req.close", strings.Join(chunk, ", ")), esclient.CloseIndexRequest(chunk)); err != nil {
				return err
			}
		}
		return e.request(ctx, e.dst, PhaseRestore, b.Number, i18n.M("live.req.restore", b.Snapshot, strings.Join(b.Names(), ", ")),
			esclient.RestoreRequest(e.roundRestoreSpec(b, b.Names())))
	}
	if !b.RestoreStarted {
		if err := e.ensureTargetSees(ctx, b); err != nil {
			return err
		}
		if err := e.startRoundRestore(ctx, b); err != nil {
			return err
		}
		b.RestoreStarted = true
		if err := e.save(); err != nil {
			return err
		}
	}
	return e.followRestore(ctx, b)
}

// roundRestoreSpec is the batch's restore, with the cut-over's write block left out of the restored settings:
// the block is part of the snapshot taken under it, and the target index must come back writable (checked on
// 7.17 → 7.17, 7.17 → 8.19 and 7.10 → OpenSearch 2.19: without it the restored index is write-blocked).
func (e *Engine) roundRestoreSpec(b *BatchState, names []string) esclient.RestoreSpec {
	spec := e.restoreSpec(b, names)
	if c := e.state.Live.Cutover; c != nil && !c.RolledBack && !slicesContains(spec.IgnoreIndexSettings, "index.blocks.write") {
		spec.IgnoreIndexSettings = append(append([]string(nil), spec.IgnoreIndexSettings...), "index.blocks.write")
	}
	return spec
}

// startRoundRestore closes the target indices that are there and sends the restore. An index whose restore is
// refused is opened again and, with the confirmation, deleted and restored whole; without it, it fails with
// what to do.
func (e *Engine) startRoundRestore(ctx context.Context, b *BatchState) error {
	// A round's snapshot already being restored (a restore sent before esmigrate stopped) is followed, not
	// closed again.
	pending, exists, err := e.restoreCandidates(ctx, b, "live.restore.following")
	if err != nil {
		return err
	}
	if len(pending) == 0 {
		return nil
	}
	closing := keys(exists)
	for _, chunk := range esclient.IndexChunks(closing, "/_close") {
		op := i18n.M("live.req.close", strings.Join(chunk, ", "))
		if err := e.retry(ctx, PhaseRestore, b.Number, func() error {
			return e.request(ctx, e.dst, PhaseRestore, b.Number, op, esclient.CloseIndexRequest(chunk))
		}); err != nil {
			return err
		}
	}
	return e.sendRestore(ctx, b, pending, restoreSend{
		request: "live.req.restore", maybe: "live.restore.maybe", spec: e.roundRestoreSpec, closedForm: true,
		unnamed: func(err error) error {
			e.reopen(ctx, b, closing)
			return err
		},
		refused: func(culprit string, err error) error {
			ix := pending[culprit]
			if exists[culprit] {
				// Refused over the closed index: open it again as it was before anything else.
				e.reopen(ctx, b, []string{culprit})
				if e.opts.AllowTargetDelete {
					e.say(PhaseRestore, b.Number, LevelWarn, "live.restore.fallback", culprit, err)
					if derr := e.request(ctx, e.dst, PhaseRestore, b.Number, i18n.M("live.req.delete", culprit), esclient.DeleteIndexRequests([]string{culprit})[0]); derr != nil { // one name: one request
						return derr
					}
					delete(exists, culprit)
					if rs := e.roundOf(b); rs != nil {
						rs.Deleted = append(rs.Deleted, culprit)
					}
					return e.save() // still pending: restored whole with the others
				}
			}
			ix.Result = ResultFailed
			ix.setReason(i18n.M("live.restore.refused", culprit, err, culprit))
			e.say(PhaseRestore, b.Number, LevelError, "index.reason", ix.Name, ix.ReasonMsg)
			delete(pending, culprit)
			return e.save()
		},
	})
}

// reopen opens target indices that a refused restore left closed.
func (e *Engine) reopen(ctx context.Context, b *BatchState, targets []string) {
	for _, chunk := range esclient.IndexChunks(targets, "/_open") {
		if err := e.request(ctx, e.dst, PhaseRestore, b.Number, i18n.M("live.req.open", strings.Join(chunk, ", ")), esclient.OpenIndexRequest(chunk)); err != nil {
			e.say(PhaseRestore, b.Number, LevelError, "live.restore.reopen", strings.Join(chunk, ", "), err)
		}
	}
}

// roundOf is the round a batch is.
func (e *Engine) roundOf(b *BatchState) *RoundState {
	if e.state.Live == nil {
		return nil
	}
	for i := range e.state.Live.Rounds {
		if e.state.Live.Rounds[i].Number == b.Round {
			return &e.state.Live.Rounds[i]
		}
	}
	return nil
}
