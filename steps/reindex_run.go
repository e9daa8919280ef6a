package steps

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/i18n"
)

// The reindex path (issue #16 item 3): an index the target cannot restore (created two majors back, or by an
// Elasticsearch newer than 7.10.2 for an OpenSearch target) is created on the target with its source's mappings
// and the settings that shape it, then filled by _reindex from remote: the target pulls the documents from the
// source (the source only answers searches: nothing is written there). Progress comes from the task API;
// verification is by count, since sequence numbers mean nothing after a reindex.

// PhaseReindex is the reindex path's phase in events.
const PhaseReindex Phase = "reindex"

// reindexSettings are the settings (without "index.") a reindexed copy takes from its source: its shape, the
// analysis its mappings name, and limits. Prefixes end with a dot. The others stay behind, each for a reason
// (ReindexResult.LeftOut): the uuid, creation date and versions are the cluster's own; default_pipeline and
// final_pipeline would run the source's pipelines again over documents they already processed; a lifecycle
// policy would start counting on the copy (see the lifecycle check); routing and blocks belong to the source's
// nodes and state.
var reindexSettings = []string{"number_of_shards", "number_of_replicas", "analysis.", "similarity.", "mapping.",
	"refresh_interval", "max_result_window", "max_inner_result_window", "max_ngram_diff", "max_shingle_diff", "sort.", "codec",
	"query.default_field", "max_docvalue_fields_search", "max_script_fields", "highlight.max_analyzed_offset"}

// the settings every index has that are not worth a line in the report
var reindexSilent = []string{"uuid", "creation_date", "version.", "provided_name", "routing.", "resize.", "blocks.",
	"lifecycle.indexing_complete", "history_uuid"}

func hasSettingPrefix(list []string, k string) bool {
	for _, p := range list {
		if k == p || strings.HasSuffix(p, ".") && strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// ReindexDefinition is what the target index is created with: the source's mappings, the settings that shape
// it (reindexSettings, with the plan's replicas during the restore and its index_settings over them), and its
// aliases when the plan restores aliases. leftOut are the source's settings that stay behind.
func ReindexDefinition(def esclient.IndexDefinition, r RestorePlan) (settings, mappings, aliases map[string]any, leftOut []string) {
	settings = map[string]any{}
	for k, v := range def.Settings {
		switch {
		case hasSettingPrefix(reindexSettings, k):
			settings[k] = v
		case hasSettingPrefix(reindexSilent, k):
		default:
			leftOut = append(leftOut, k)
		}
	}
	sort.Strings(leftOut)
	if r.ReplicasDuringRestore >= 0 {
		settings["number_of_replicas"] = fmt.Sprint(r.ReplicasDuringRestore)
	}
	for k, v := range r.IndexSettings {
		settings[strings.TrimPrefix(k, "index.")] = v
	}
	if r.IncludeAliases {
		aliases = def.Aliases
	}
	return settings, def.Mappings, aliases, leftOut
}

// ReindexResult is one index moved by the reindex path.
type ReindexResult struct {
	Index      string        `json:"index"`
	Target     string        `json:"target"`
	SourceDocs int64         `json:"source_docs"`
	TargetDocs int64         `json:"target_docs"`
	Verified   bool          `json:"verified"`
	Took       time.Duration `json:"took"`
	// LeftOut are the source's index settings the copy does not get (ReindexDefinition).
	LeftOut []string `json:"left_out,omitempty"`
}

// remoteSource is the source as the target's nodes reach it for _reindex from remote.
func (e *Engine) remoteSource() (esclient.RemoteSource, error) {
	if e.opts.Credentials.SourceAPIKey != "" && e.plan.Source.Username == "" {
		return esclient.RemoteSource{}, i18n.Errorf("rx.apikey")
	}
	env := e.plan.Source.PasswordEnv
	if env == "" {
		env = "ES_SOURCE_PASSWORD"
	}
	return esclient.RemoteSource{Host: strings.TrimRight(e.plan.Source.URL, "/"), Username: e.plan.Source.Username,
		Password: e.opts.Credentials.SourcePassword, PasswordEnv: env}, nil
}

// reindexRequests are the requests the reindex path sends for one index, made from its source's definition
// (one read): the run sends them, the dry run prints them and the review lists them (reindexPlanned), from
// this one place.
type reindexRequests struct {
	dest    string
	remote  esclient.RemoteSource
	def     esclient.IndexDefinition
	leftOut []string
	create  esclient.Request // the target index, with the source's mappings and the settings that shape it
	reindex esclient.Request // _reindex from remote, sent to the target
	// replicas puts the source's number_of_replicas back once the documents are in (nil when the copy keeps
	// what it was created with).
	replicas *esclient.Request
}

// reindexRequestsFor reads index's definition on the source and makes the requests that move it.
func (e *Engine) reindexRequestsFor(ctx context.Context, index string) (reindexRequests, error) {
	rr := reindexRequests{dest: TargetName(index, e.plan.Restore)}
	var err error
	if rr.remote, err = e.remoteSource(); err != nil {
		return rr, err
	}
	if err := e.retry(ctx, PhaseReindex, 0, func() (err error) { rr.def, err = e.src.IndexDefinitionOf(ctx, index); return }); err != nil {
		return rr, err
	}
	settings, mappings, aliases, leftOut := ReindexDefinition(rr.def, e.plan.Restore)
	rr.leftOut = leftOut
	rr.create = esclient.CreateIndexRequest(rr.dest, settings, mappings, aliases)
	rr.reindex = esclient.ReindexFromRemoteRequest(rr.remote, index, rr.dest, 1000)
	if r := e.plan.Restore; r.RestoreReplicas && r.ReplicasDuringRestore >= 0 {
		if orig, ok := rr.def.Settings["number_of_replicas"]; ok && fmt.Sprint(orig) != fmt.Sprint(r.ReplicasDuringRestore) {
			rr.replicas = &esclient.Request{Method: "PUT", Path: "/" + rr.dest + "/_settings",
				Body: map[string]any{"index": map[string]any{"number_of_replicas": orig}}}
		}
	}
	return rr, nil
}

// Positions of reindexPlanned's requests.
const (
	rxCreate = iota
	rxReindex
	rxReplicas
)

// reindexPlanned are rr's requests in the order a run sends them, each with what it does and its curl form (the
// remote's password as its shell variable, as everywhere).
func (e *Engine) reindexPlanned(batch int, index string, rr reindexRequests) []PlannedRequest {
	out := []PlannedRequest{
		{Phase: PhaseReindex, Batch: batch, What: i18n.M("rx.op.create", rr.dest, index), Curl: e.dst.Curl(rr.create)},
		{Phase: PhaseReindex, Batch: batch, What: i18n.M("rx.op.reindex", index, rr.dest), Curl: e.dst.CurlReindex(rr.reindex, rr.remote)},
	}
	if rr.replicas != nil {
		out = append(out, PlannedRequest{Phase: PhaseReindex, Batch: batch, What: i18n.M("rx.op.replicas", rr.dest), Curl: e.dst.Curl(*rr.replicas)})
	}
	return out
}

// announce tells the operator of a request that changes something, before it is sent (or instead, in a dry run).
func (e *Engine) announce(index string, r PlannedRequest) {
	e.emit(Event{Kind: KindRequest, Phase: r.Phase, Batch: r.Batch, Batches: e.batches(), Index: index, Msg: r.What, Curl: r.Curl})
}

// ReindexIndex moves one index by the reindex path: it creates the target index (refused when one of that name
// exists: nothing on the target is replaced), has the target pull the documents, follows the task and compares
// the counts. batch is the batch number for events (0 outside batches).
func (e *Engine) ReindexIndex(ctx context.Context, batch int, index string) (ReindexResult, error) {
	return e.reindexIndex(ctx, batch, index, false, nil, nil)
}

// reindexIndex is ReindexIndex; resume: this migration created the target index already (the state says so),
// and the reindex goes on into it (op_type create keeps what is there). created, when not nil, is called once
// the target index exists, before the documents are asked for; progress, when not nil, at every reading of the
// task (documents copied, and the source's total once the task knows it).
func (e *Engine) reindexIndex(ctx context.Context, batch int, index string, resume bool, created func(), progress func(copied, total int64)) (ReindexResult, error) {
	start := e.opts.Now()
	dest := TargetName(index, e.plan.Restore)
	res := ReindexResult{Index: index, Target: dest}
	if _, err := e.remoteSource(); err != nil {
		return res, err
	}
	e.emit(Event{Kind: KindStart, Phase: PhaseReindex, Batch: batch, Batches: e.batches(), Index: index,
		Msg: i18n.M("rx.start", index, dest)})
	rr, err := e.reindexRequestsFor(ctx, index)
	if err != nil {
		return res, err
	}
	planned := e.reindexPlanned(batch, index, rr)
	res.LeftOut = rr.leftOut
	if len(rr.leftOut) > 0 {
		e.say(PhaseReindex, batch, LevelInfo, "rx.leftout", index, strings.Join(rr.leftOut, ", "))
	}
	if e.opts.DryRun {
		// What a run sends, in its order, as the review lists it (PlannedRequests).
		for _, r := range planned {
			e.announce(index, r)
		}
		return res, nil
	}
	found, err := e.dst.Exists(ctx, []string{dest})
	if err != nil {
		return res, err
	}
	exists := found[dest]
	if exists && !resume {
		return res, i18n.Errorf("rx.exists.err", dest, index)
	}
	if exists {
		e.say(PhaseReindex, batch, LevelInfo, "rx.resume", index, dest)
	} else {
		e.announce(index, planned[rxCreate])
		if err := e.dst.Do(ctx, planned[rxCreate].What, rr.create, nil); err != nil {
			return res, err
		}
	}
	if created != nil {
		created()
	}
	op := planned[rxReindex].What
	e.announce(index, planned[rxReindex])
	task, err := e.dst.StartReindex(ctx, op, rr.reindex)
	if err != nil {
		return res, reindexError(err, e.plan.Source.URL)
	}
	e.say(PhaseReindex, batch, LevelInfo, "rx.task", index, task, task)
	since := e.opts.Now()
	var st esclient.ReindexTask
	for {
		err := e.retry(ctx, PhaseReindex, batch, func() error {
			var err error
			st, err = e.dst.ReindexTaskStatus(ctx, task)
			return err
		})
		if err != nil {
			return res, err
		}
		e.emit(Event{Kind: KindProgress, Phase: PhaseReindex, Batch: batch, Batches: e.batches(), Index: index,
			Done: Counts{Docs: st.Copied()}, Total: Counts{Docs: st.Total}})
		if progress != nil {
			progress(st.Copied(), st.Total)
		}
		if st.Completed {
			break
		}
		// The task is read as the other phases are polled: soon after its start, then at the plan's interval.
		if err := e.wait(ctx, since); err != nil {
			return res, i18n.Errorf("rx.stopped", index, task, task, err)
		}
	}
	if st.Error != "" || len(st.Failures) > 0 {
		why := i18n.Name(st.Error) // Elasticsearch's words
		if st.Error == "" {
			why = i18n.M("rx.failures", len(st.Failures), st.Failures[0])
		}
		return res, reindexError(i18n.Errorf("rx.failed", op, why), e.plan.Source.URL)
	}
	// Verified by count: a reindex gives new sequence numbers, so the seqno comparison of the restore path
	// means nothing here.
	if err := e.dst.Refresh(ctx, dest); err != nil {
		return res, err
	}
	if res.SourceDocs, err = e.src.Count(ctx, index); err != nil {
		return res, err
	}
	if res.TargetDocs, err = e.dst.Count(ctx, dest); err != nil {
		return res, err
	}
	res.Verified = res.SourceDocs == res.TargetDocs
	res.Took = e.opts.Now().Sub(start)
	if rr.replicas != nil {
		e.announce(index, planned[rxReplicas])
		if err := e.dst.Do(ctx, planned[rxReplicas].What, *rr.replicas, nil); err != nil {
			return res, err
		}
	}
	msg := i18n.M("rx.done", index, dest, res.TargetDocs, res.SourceDocs)
	if e.plan.Verify == VerifyContent {
		msg = i18n.M("rx.done.content", index, dest, res.TargetDocs, res.SourceDocs)
	}
	if !res.Verified {
		msg = i18n.M("rx.differ", index, dest, res.TargetDocs, res.SourceDocs)
	}
	e.emit(Event{Kind: KindDone, Phase: PhaseReindex, Batch: batch, Batches: e.batches(), Index: index, Msg: msg,
		Done: Counts{Docs: res.TargetDocs}, Total: Counts{Docs: res.SourceDocs}})
	return res, nil
}

// reindexError adds what to do to the target's refusals of the source.
func reindexError(err error, sourceURL string) error {
	text := err.Error()
	hp, _ := SourceHostPort(sourceURL)
	switch {
	case strings.Contains(text, "whitelist") || strings.Contains(text, "allowlist"):
		return i18n.Errorf("rx.whitelist.err", err, hp)
	case strings.Contains(text, "ConnectException") || strings.Contains(text, "connect_exception") || strings.Contains(text, "Connection refused"):
		return i18n.Errorf("rx.connect.err", err, hp)
	}
	return err
}

// splitReindex parts the selection into the indices the target restores and those it cannot (NeedsReindex).
func splitReindex(src, dst ClusterSummary, sel Selection) (restorable, reindex []esclient.Index) {
	need := map[string]bool{}
	for _, n := range NeedsReindex(src, dst, sel) {
		need[n] = true
	}
	for _, ix := range sel.Indices {
		if need[ix.Name] {
			reindex = append(reindex, ix)
		} else {
			restorable = append(restorable, ix)
		}
	}
	return restorable, reindex
}

// reindexPhase moves a reindex batch's indices one after the other. A failure stops the batch (resume goes on
// from the index it stopped at, into the target index this migration created); a count that differs is the
// index's result, not a failure of the batch.
func (e *Engine) reindexPhase(ctx context.Context, b *BatchState) error {
	prog := e.newReindexProgress(b)
	for i := range b.Indices {
		ix := &b.Indices[i]
		if ix.Result != ResultPending {
			continue
		}
		resume := slices.Contains(b.ReindexStarted, ix.Name)
		res, err := e.reindexIndex(ctx, b.Number, ix.Name, resume, func() {
			if !resume {
				b.ReindexStarted = append(b.ReindexStarted, ix.Name)
				_ = e.save()
			}
		}, func(copied, total int64) { prog.at(ix, copied, total) })
		if err != nil {
			return err
		}
		if e.opts.DryRun {
			continue
		}
		ix.SourceDocs, ix.TargetDocs, ix.Verification = res.SourceDocs, res.TargetDocs, VerifyCount
		ix.Result, ix.Reason = ResultVerified, ""
		if !res.Verified {
			ix.Result = ResultMismatch
			ix.setReason(i18n.M("rx.mismatch", res.TargetDocs, res.SourceDocs))
		}
		if err := e.save(); err != nil {
			return err
		}
		prog.finished(ix, res.TargetDocs)
	}
	if e.plan.Verify == VerifyContent && !e.opts.DryRun {
		return e.reindexContent(ctx, b)
	}
	return nil
}

// reindexContent verifies the batch's reindexed indices by content, as the plan asks: the counts again, then
// every document's id, routing and _source on both sides (content.go), in a verify phase of the batch. Sequence
// numbers are not compared: a reindex gives the copy new ones. A run stopped here verifies them again on resume.
func (e *Engine) reindexContent(ctx context.Context, b *BatchState) error {
	e.emit(Event{Kind: KindStart, Phase: PhaseVerify, Batch: b.Number, Batches: e.batches(), Msg: i18n.Name(strings.Join(b.Names(), ", "))})
	e.say(PhaseVerify, b.Number, LevelInfo, "rx.content")
	start := e.opts.Now()
	if _, err := e.verifyBatch(ctx, b, VerifyContent); err != nil {
		return err
	}
	e.emit(Event{Kind: KindDone, Phase: PhaseVerify, Batch: b.Number, Batches: e.batches(),
		Msg: i18n.M("batch.took", e.opts.Now().Sub(start).Round(time.Millisecond).String())})
	return nil
}

// reindexProgress is the reindex phase as a whole, for the run screen's phase bar and the headless lines: its
// bytes (each index's primary size, as far as its documents are copied: the task API counts documents, not
// bytes), the documents copied, and their rates and the time left.
type reindexProgress struct {
	e           *Engine
	b           *BatchState
	totalBytes  int64
	doneBytes   int64 // of the finished indices
	doneDocs    int64 // of the finished indices
	bytes, docs *meter
}

func (e *Engine) newReindexProgress(b *BatchState) *reindexProgress {
	p := &reindexProgress{e: e, b: b, bytes: newMeter(), docs: newMeter()}
	for _, ix := range b.Indices {
		p.totalBytes += ix.PrimaryBytes
		if ix.Result != ResultPending {
			p.doneBytes += ix.PrimaryBytes
			p.doneDocs += ix.TargetDocs
		}
	}
	return p
}

// at is index ix at copied of total documents.
func (p *reindexProgress) at(ix *IndexState, copied, total int64) {
	part := int64(0)
	if total > 0 {
		part = int64(float64(ix.PrimaryBytes) * float64(min(copied, total)) / float64(total))
	}
	p.emit(p.doneBytes+part, p.doneDocs+copied)
}

// finished is index ix through, with docs documents on the target.
func (p *reindexProgress) finished(ix *IndexState, docs int64) {
	p.doneBytes += ix.PrimaryBytes
	p.doneDocs += docs
	p.emit(p.doneBytes, p.doneDocs)
}

func (p *reindexProgress) emit(doneBytes, doneDocs int64) {
	now := p.e.opts.Now()
	rate, eta := p.bytes.observe(now, doneBytes, p.totalBytes)
	docRate, _ := p.docs.observe(now, doneDocs, 0)
	p.e.emit(Event{Kind: KindProgress, Phase: PhaseReindex, Batch: p.b.Number, Batches: p.e.batches(),
		Done: Counts{Bytes: doneBytes, Docs: doneDocs}, Total: Counts{Bytes: p.totalBytes}, Rate: rate, DocRate: docRate, ETA: eta})
}
