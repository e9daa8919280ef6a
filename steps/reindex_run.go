package steps

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/esmigrate/esmigrate/esclient"
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
		return esclient.RemoteSource{}, fmt.Errorf("_reindex from remote signs in to the source with a user and password, " +
			"and the plan gives the source an API key: give the source's user (and ES_SOURCE_PASSWORD) for this path")
	}
	env := e.plan.Source.PasswordEnv
	if env == "" {
		env = "ES_SOURCE_PASSWORD"
	}
	return esclient.RemoteSource{Host: strings.TrimRight(e.plan.Source.URL, "/"), Username: e.plan.Source.Username,
		Password: e.opts.Credentials.SourcePassword, PasswordEnv: env}, nil
}

// reindexPoll is how often the task API is read during a reindex.
var reindexPoll = 2 * time.Second

// ReindexIndex moves one index by the reindex path: it creates the target index (refused when one of that name
// exists: nothing on the target is replaced), has the target pull the documents, follows the task and compares
// the counts. batch is the batch number for events (0 outside batches).
func (e *Engine) ReindexIndex(ctx context.Context, batch int, index string) (ReindexResult, error) {
	start := e.opts.Now()
	dest := TargetName(index, e.plan.Restore)
	res := ReindexResult{Index: index, Target: dest}
	remote, err := e.remoteSource()
	if err != nil {
		return res, err
	}
	e.emit(Event{Kind: KindStart, Phase: PhaseReindex, Batch: batch, Batches: e.batches(), Index: index,
		Message: fmt.Sprintf("reindex %s from the source into %s on the target", index, dest)})
	def, err := e.src.IndexDefinitionOf(ctx, index)
	if err != nil {
		return res, err
	}
	settings, mappings, aliases, leftOut := ReindexDefinition(def, e.plan.Restore)
	res.LeftOut = leftOut
	if len(leftOut) > 0 {
		e.log(PhaseReindex, batch, LevelInfo, "%s: not carried to the copy (a reindex creates a new index): %s", index, strings.Join(leftOut, ", "))
	}
	if !e.opts.DryRun {
		exists, err := e.dst.Exists(ctx, []string{dest})
		if err != nil {
			return res, err
		}
		if exists[dest] {
			return res, &esclient.Error{Cluster: "target", Op: "create index " + dest + " for the reindex of " + index,
				Reason: "an index of that name exists on the target", Fix: "esmigrate never replaces a target index: delete it " +
					"(if it is a copy you do not need) or rename the indices with the restore options"}
		}
	}
	if err := e.request(ctx, e.dst, PhaseReindex, batch, "create index "+dest+" with the mappings and settings of "+index,
		esclient.CreateIndexRequest(dest, settings, mappings, aliases)); err != nil {
		return res, err
	}
	req := esclient.ReindexFromRemoteRequest(remote, index, dest, 1000)
	op := "reindex " + index + " from the source into " + dest
	e.emit(Event{Kind: KindRequest, Phase: PhaseReindex, Batch: batch, Batches: e.batches(), Index: index, Message: op,
		Curl: e.dst.CurlReindex(req, remote)})
	if e.opts.DryRun {
		return res, nil
	}
	task, err := e.dst.StartReindex(ctx, op, req)
	if err != nil {
		return res, reindexError(err, e.plan.Source.URL)
	}
	e.log(PhaseReindex, batch, LevelInfo, "%s: task %s on the target (GET _tasks/%s follows it)", index, task, task)
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
		if st.Completed {
			break
		}
		select {
		case <-ctx.Done():
			return res, fmt.Errorf("stopped while the target reindexes %s (task %s goes on there: POST _tasks/%s/_cancel stops it): %w", index, task, task, ctx.Err())
		case <-time.After(reindexPoll):
		}
	}
	if st.Error != "" || len(st.Failures) > 0 {
		why := st.Error
		if why == "" {
			why = fmt.Sprintf("%d failure(s), the first: %s", len(st.Failures), st.Failures[0])
		}
		return res, reindexError(&esclient.Error{Cluster: "target", Op: op, Reason: why}, e.plan.Source.URL)
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
	if e.plan.Restore.RestoreReplicas && e.plan.Restore.ReplicasDuringRestore >= 0 {
		if orig, ok := def.Settings["number_of_replicas"]; ok && fmt.Sprint(orig) != fmt.Sprint(e.plan.Restore.ReplicasDuringRestore) {
			if err := e.request(ctx, e.dst, PhaseReindex, batch, "put back number_of_replicas of "+dest,
				esclient.Request{Method: "PUT", Path: "/" + dest + "/_settings", Body: map[string]any{"index": map[string]any{"number_of_replicas": orig}}}); err != nil {
				return res, err
			}
		}
	}
	msg := fmt.Sprintf("%s → %s: %d of %d document(s), verified by count", index, dest, res.TargetDocs, res.SourceDocs)
	if !res.Verified {
		msg = fmt.Sprintf("%s → %s: %d document(s) on the target, %d on the source: the counts differ (was the source written during the reindex?)",
			index, dest, res.TargetDocs, res.SourceDocs)
	}
	e.emit(Event{Kind: KindDone, Phase: PhaseReindex, Batch: batch, Batches: e.batches(), Index: index, Message: msg,
		Done: Counts{Docs: res.TargetDocs}, Total: Counts{Docs: res.SourceDocs}})
	return res, nil
}

// reindexError adds what to do to the target's refusals of the source.
func reindexError(err error, sourceURL string) error {
	text := err.Error()
	hp, _ := SourceHostPort(sourceURL)
	switch {
	case strings.Contains(text, "whitelist") || strings.Contains(text, "allowlist"):
		return fmt.Errorf("%w: add %s to reindex.remote.whitelist (reindex.remote.allowlist on OpenSearch 2) in every target node's "+
			"configuration and restart them one at a time (the pre-flight writes the line)", err, hp)
	case strings.Contains(text, "ConnectException") || strings.Contains(text, "connect_exception") || strings.Contains(text, "Connection refused"):
		return fmt.Errorf("%w: the target's nodes cannot reach the source at %s; give the source's URL as the target's nodes reach it", err, hp)
	}
	return err
}
