package esclient

import (
	"context"
	"github.com/esmigrate/esmigrate/i18n"
	"net/url"
	"sort"
	"strings"
)

// What a live migration (catch-up rounds and a cut-over) says to the clusters beyond a plain migration: closing
// a target index so that a snapshot can be restored over it, the write block of a cut-over on the source (the
// only change esmigrate ever makes to a source index, and only with the guard's permission: guard.go), and
// aliases moved on the target.

// IndexChunks splits index names into groups that fit a request line of the shape "/<names><suffix>".
func IndexChunks(names []string, suffix string) [][]string {
	return pathChunks(names, "/", suffix, nil)
}

// CloseIndexRequest describes closing target indices, so that a newer snapshot of them can be restored over
// them (Elasticsearch restores into an existing index only when it is closed and has as many shards). Target
// only; the source's guard refuses it.
func CloseIndexRequest(indices []string) Request {
	return Request{Method: "POST", Path: "/" + joinIndices(indices) + "/_close"}
}

// OpenIndexRequest describes opening target indices again (after a restore over them was refused).
func OpenIndexRequest(indices []string) Request {
	return Request{Method: "POST", Path: "/" + joinIndices(indices) + "/_open"}
}

// WriteBlockRequest describes the cut-over's write block on source indices: PUT <index>/_block/write
// (Elasticsearch 7.9+, OpenSearch). Unlike a settings update it waits for the writes in flight to finish, so
// that once it answers, no operation reaches the index any more. The source guard passes it only for the
// indices of a confirmed cut-over (SourceGuard.PermitWriteBlock).
func WriteBlockRequest(indices []string) Request {
	return Request{Method: "PUT", Path: "/" + joinIndices(indices) + "/_block/write"}
}

// LiftWriteBlockRequest describes lifting the cut-over's write block: the setting back to its default (null
// removes it, so that the index's settings are what they were before the cut-over). The guard passes this body
// and no other, for the cut-over's indices only.
func LiftWriteBlockRequest(indices []string) Request {
	return Request{Method: "PUT", Path: "/" + joinIndices(indices) + "/_settings",
		Body: map[string]any{"index.blocks.write": nil}}
}

// WriteBlocked reads index.blocks.write of the named indices: the names whose setting is true. Indices that do
// not exist are absent.
func (c *Client) WriteBlocked(ctx context.Context, indices []string) (map[string]bool, error) {
	out := map[string]bool{}
	// index.uuid too: an index without the block has no index.blocks.write to show, and would be absent.
	const suffix = "/_settings/index.uuid,index.blocks.write"
	q := url.Values{"flat_settings": {"true"}, "ignore_unavailable": {"true"}, "allow_no_indices": {"true"}, "expand_wildcards": {"all"}}
	for _, chunk := range pathChunks(indices, "/", suffix, q) {
		var raw map[string]struct {
			Settings map[string]any `json:"settings"`
		}
		if err := c.do(ctx, i18n.M("es.op.writeblock", strings.Join(chunk, ",")), Request{Method: "GET",
			Path: joinedPath("/", chunk, suffix), Params: q}, &raw); err != nil {
			return nil, err
		}
		for name, s := range raw {
			out[name] = str(s.Settings["index.blocks.write"]) == "true"
		}
	}
	return out, nil
}

// AliasHolders lists the indices that hold an alias on this cluster, sorted (none: the alias does not exist).
func (c *Client) AliasHolders(ctx context.Context, alias string) ([]string, error) {
	var raw map[string]any
	q := url.Values{"ignore_unavailable": {"true"}, "expand_wildcards": {"all"}}
	err := c.do(ctx, i18n.M("es.op.alias", alias), Request{Method: "GET", Path: "/_alias/" + url.PathEscape(alias), Params: q}, &raw, 404)
	if err != nil {
		return nil, err
	}
	var out []string
	for name, v := range raw {
		if _, ok := v.(map[string]any); ok {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out, nil
}

// AliasAction is one action of POST /_aliases.
type AliasAction struct {
	Add   bool // add (true) or remove (false)
	Index string
	Alias string
}

// AliasesRequest describes moving aliases in one atomic request (POST /_aliases): removals and additions are
// applied together, so that a reader of the alias never sees it point nowhere. Target only.
func AliasesRequest(actions []AliasAction) Request {
	var acts []map[string]any
	for _, a := range actions {
		verb := "remove"
		if a.Add {
			verb = "add"
		}
		acts = append(acts, map[string]any{verb: map[string]any{"index": a.Index, "alias": a.Alias}})
	}
	return Request{Method: "POST", Path: "/_aliases", Body: map[string]any{"actions": acts}}
}

// RecoveryReuse is what the restore of an index took from the files already on the target (a restore over a
// closed index reuses the files that are identical) and what it copied from the repository.
type RecoveryReuse struct {
	Files, ReusedFiles int
	Bytes, ReusedBytes int64
	Snapshot           string // the snapshot the index's primaries were last restored from
}

// Reuse sums the primaries' recoveries of the named indices into what was reused and what was copied (read
// from _recovery: files.reused, size.reused_in_bytes).
func (c *Client) Reuse(ctx context.Context, indices []string) (map[string]RecoveryReuse, error) {
	shards, err := c.Recovery(ctx, indices)
	if err != nil {
		return nil, err
	}
	out := map[string]RecoveryReuse{}
	for _, s := range shards {
		if !s.Primary || s.Type != "SNAPSHOT" {
			continue
		}
		r := out[s.Index]
		r.Files += s.TotalFiles
		r.ReusedFiles += s.ReusedFiles
		r.Bytes += s.TotalBytes
		r.ReusedBytes += s.ReusedBytes
		r.Snapshot = s.Snapshot
		out[s.Index] = r
	}
	return out, nil
}
