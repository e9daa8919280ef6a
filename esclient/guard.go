package esclient

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
)

// The source guard: the list of everything esmigrate may send to a source cluster, and the one place that
// enforces it. A source client (Config.ReadOnly) passes every request through SourceGuard.Check before it
// leaves the process; a request the list does not name is answered with a 403 made here, never sent.
//
// The list is written as Elasticsearch's own route shapes, (method, path pattern), and matched on the decoded
// path segments the way Elasticsearch's REST layer splits them, so that no spelling of a path (%2e%2e, a
// trailing _count segment after a document id, a doubled slash) reaches a route the list does not name.
//
// What may be sent to a source, agreed between verification (#10) and hostile input (#11):
//   - reads: cluster and node information, index listings, settings, mappings, aliases, stats, recovery,
//     health, counts, searches, scroll, point-in-time (_pit on Elasticsearch, _search/point_in_time on
//     OpenSearch), _msearch and _mget, and the metadata a migration copies (templates, pipelines, policies,
//     scripts, cluster state);
//   - _refresh, which makes written documents visible and changes none;
//   - snapshot writes (register, verify, create, delete a snapshot, unregister) in the plan's own repository
//     only; never a restore into the source, never a clone, never another repository;
//   - the write block of a confirmed cut-over: not a route but a permission the engine grants from the state
//     file, for named indices only (PermitWriteBlock).
//
// Everything else is refused: document and bulk writes, deletes, settings and mapping changes, aliases,
// open/close, force-merge, reindex, update/delete by query, cluster settings, and any snapshot write elsewhere.

// route is one allowed (method, path pattern). Pattern segments are literals or placeholders:
//
//	{index}    an index expression (names, comma lists, wildcards, exclusions, date math; _all)
//	{any}      any one segment (a repository, a snapshot, a metric...); only in read routes
//	{scroll}   a scroll id: not starting with "_" (never _all)
//	{own}      the plan's own repository (exact name)
//	{snapshot} a snapshot name: not starting with "_" (so _verify, _restore, _clone, _cleanup never match)
//	{blocked}  names the cut-over permission covers (every name of the list, no wildcards)
type route struct {
	methods string // space-separated
	pattern string
	why     string
}

// sourceRoutes is the table. Keep it in the order of the list above; SourceRoutes exposes it for the docs.
var sourceRoutes = []route{
	// Who the cluster is.
	{"GET HEAD", "/", "cluster name, version, distribution"},
	{"GET", "/_cluster/health", "health"},
	{"GET", "/_cluster/health/{index}", "health of indices"},
	{"GET", "/_cluster/settings", "cluster settings (throttles, shard limits)"},
	{"GET", "/_cluster/state", "cluster state"},
	{"GET", "/_cluster/state/{any}", "cluster state metrics (metadata: stored scripts)"},
	{"GET", "/_cluster/state/{any}/{index}", "cluster state of indices"},
	{"GET", "/_cluster/stats", "cluster statistics"},
	{"GET POST", "/_cluster/allocation/explain", "why a shard is unassigned (POST only carries the question)"},
	{"GET", "/_nodes", "nodes"},
	{"GET", "/_nodes/{any}", "nodes: settings, plugins, process, stats"},
	{"GET", "/_nodes/{any}/{any}", "nodes: one node's information, or stats of one metric"},
	{"GET", "/_nodes/{any}/{any}/{any}", "nodes: one node's stats of one metric"},
	{"GET", "/_tasks", "running tasks"},
	{"GET", "/_tasks/{any}", "one task"},
	{"GET", "/_license", "license"},
	{"GET", "/_xpack", "features"},
	// Indices as they are.
	{"GET", "/_cat", "cat API list"},
	{"GET", "/_cat/{any}", "cat APIs (indices, aliases, allocation, shards...)"},
	{"GET", "/_cat/{any}/{any}", "cat APIs for some indices or nodes"},
	{"GET HEAD", "/{index}", "an index's settings, mappings and aliases; HEAD: does it exist"},
	{"GET", "/_settings", "settings of every index"},
	{"GET", "/_settings/{any}", "some settings of every index"},
	{"GET", "/{index}/_settings", "settings of indices"},
	{"GET", "/{index}/_settings/{any}", "some settings of indices"},
	{"GET", "/_mapping", "mappings of every index"},
	{"GET", "/{index}/_mapping", "mappings of indices"},
	{"GET HEAD", "/_alias", "aliases"},
	{"GET HEAD", "/_alias/{any}", "aliases by name"},
	{"GET HEAD", "/{index}/_alias", "aliases of indices"},
	{"GET HEAD", "/{index}/_alias/{any}", "aliases of indices by name"},
	{"GET", "/_aliases", "aliases"},
	{"GET", "/{index}/_aliases", "aliases of indices"},
	{"GET", "/_stats", "statistics of every index"},
	{"GET", "/_stats/{any}", "some statistics of every index"},
	{"GET", "/{index}/_stats", "statistics of indices (level=shards: sequence numbers)"},
	{"GET", "/{index}/_stats/{any}", "some statistics of indices"},
	{"GET", "/_recovery", "recovery of every index"},
	{"GET", "/{index}/_recovery", "recovery of indices"},
	{"GET", "/_resolve/index/{index}", "what an index expression names"},
	{"GET", "/_data_stream", "data streams"},
	{"GET", "/_data_stream/{any}", "data streams by name"},
	{"GET", "/{index}/_ilm/explain", "lifecycle state of indices"},
	// Documents, read.
	{"GET POST", "/_count", "count documents"},
	{"GET POST", "/{index}/_count", "count documents of indices"},
	{"GET POST", "/_search", "search"},
	{"GET POST", "/{index}/_search", "search indices (scroll=..., size, sort)"},
	{"GET POST", "/_search/scroll", "next page of a scroll"},
	{"GET POST", "/_search/scroll/{scroll}", "next page of a scroll (id in the path)"},
	{"DELETE", "/_search/scroll", "end our scroll (its id in the body; frees a search context, changes no index)"},
	{"DELETE", "/_search/scroll/{scroll}", "end our scroll (id in the path)"},
	// On 7.x these two shapes are also the old typed document API (type "_pit" or "_search"), refused there
	// because a type may not start with "_" (checked on 7.10 and 7.17); esmigrate sends each only to the
	// versions that have it (esclient.ScanModeFor), never to try.
	{"POST", "/{index}/_pit", "open a point in time (Elasticsearch 7.13+, content verification)"},
	{"DELETE", "/_pit", "close our point in time (id in the body)"},
	{"POST", "/{index}/_search/point_in_time", "open a point in time (OpenSearch 2.4+, content verification)"},
	{"DELETE", "/_search/point_in_time", "close our point in time (OpenSearch 2.x, id in the body)"},
	{"GET POST", "/_msearch", "several searches in one request (counts of many indices)"},
	{"GET POST", "/{index}/_msearch", "several searches on indices"},
	{"GET POST", "/_mget", "several documents by id"},
	{"GET POST", "/{index}/_mget", "several documents of an index by id"},
	{"GET HEAD", "/{index}/_doc/{any}", "one document"},
	{"GET HEAD", "/{index}/_source/{any}", "one document's source"},
	{"GET POST", "/_refresh", "make written documents visible (changes none)"},
	{"GET POST", "/{index}/_refresh", "make written documents of indices visible (changes none)"},
	// Metadata a migration copies, read.
	{"GET", "/_template", "legacy index templates"},
	{"GET", "/_template/{any}", "legacy index templates by name"},
	{"GET", "/_index_template", "composable index templates"},
	{"GET", "/_index_template/{any}", "composable index templates by name"},
	{"GET", "/_component_template", "component templates"},
	{"GET", "/_component_template/{any}", "component templates by name"},
	{"GET", "/_ingest/pipeline", "ingest pipelines"},
	{"GET", "/_ingest/pipeline/{any}", "ingest pipelines by name"},
	{"GET", "/_ilm/policy", "lifecycle policies"},
	{"GET", "/_ilm/policy/{any}", "lifecycle policies by name"},
	{"GET", "/_plugins/_ism/policies", "OpenSearch ISM policies"},
	{"GET", "/_plugins/_ism/policies/{any}", "OpenSearch ISM policies by name"},
	{"GET", "/_scripts/{any}", "one stored script"},
	// Snapshots: reads anywhere, writes only in the plan's own repository.
	{"GET", "/_snapshot", "repositories"},
	{"GET", "/_snapshot/{any}", "repositories by name, _all, or _status of running snapshots"},
	{"GET", "/_snapshot/{any}/{any}", "snapshots of a repository, or its running snapshots' _status"},
	{"GET", "/_snapshot/{any}/{any}/_status", "one snapshot's status"},
	{"PUT POST", "/_snapshot/{own}", "register our repository"},
	{"DELETE", "/_snapshot/{own}", "unregister our repository (its files stay)"},
	{"POST", "/_snapshot/{own}/_verify", "verify our repository from every node"},
	{"PUT POST", "/_snapshot/{own}/{snapshot}", "take a snapshot in our repository"},
	{"DELETE", "/_snapshot/{own}/{snapshot}", "delete a snapshot of our repository"},
	// The cut-over's write block: only with the permission (see PermitWriteBlock).
	{"PUT", "/{blocked}/_block/write", "write block of a confirmed cut-over"},
	{"PUT", "/{blocked}/_settings", "lift the cut-over's write block (body: index.blocks.write false only)"},
}

// SourceRoute is one line of the table, for documentation.
type SourceRoute struct{ Methods, Pattern, Why string }

// SourceRoutes lists what may be sent to a source, in the table's order.
func SourceRoutes() []SourceRoute {
	out := make([]SourceRoute, len(sourceRoutes))
	for i, r := range sourceRoutes {
		out[i] = SourceRoute{r.methods, r.pattern, r.why}
	}
	return out
}

// SourceGuard decides what a source client may send.
type SourceGuard struct {
	// Repository is the plan's own repository: the only one where snapshots may be written and deleted.
	// Empty: no snapshot write at all.
	Repository string

	mu      sync.Mutex
	blocked map[string]bool // indices of a confirmed cut-over (state file): their write block may be set or lifted
}

// PermitWriteBlock lets the guard pass the write block of a confirmed cut-over (PUT <index>/_block/write) and
// its lifting (PUT <index>/_settings with index.blocks.write false and nothing else) for these indices only.
// The engine calls it when the state file records a typed confirmation; nil or empty takes the permission back.
func (g *SourceGuard) PermitWriteBlock(indices []string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.blocked = nil
	if len(indices) > 0 {
		g.blocked = map[string]bool{}
		for _, n := range indices {
			g.blocked[n] = true
		}
	}
}

// Check tells why a request may not be sent to the source, or nil when it may. rawPath is the path as it goes
// on the wire (escaped); body is read only for the one route that depends on it.
func (g *SourceGuard) Check(method, rawPath string, body func() []byte) error {
	m := strings.ToUpper(method)
	segs, err := splitPath(rawPath)
	if err != nil {
		return fmt.Errorf("%s %s: %v", m, rawPath, err)
	}
	for _, r := range sourceRoutes {
		if !hasMethod(r.methods, m) || !g.match(r.pattern, segs) {
			continue
		}
		if strings.Contains(r.pattern, "{blocked}") && strings.HasSuffix(r.pattern, "/_settings") && !onlyLiftsWriteBlock(body) {
			continue
		}
		if r.pattern == "/_search/scroll" && m == "DELETE" && endsEveryScroll(body) {
			continue
		}
		return nil
	}
	return fmt.Errorf("%s %s is not among the requests esmigrate may send to a source (it could change the source's indices or repositories)", m, "/"+strings.Join(segs, "/"))
}

func hasMethod(methods, m string) bool {
	for _, x := range strings.Fields(methods) {
		if x == m {
			return true
		}
	}
	return false
}

// splitPath splits an escaped path into decoded segments as Elasticsearch does (split on "/", then decode
// each), refusing what could be read two ways: "." and ".." segments, empty segments inside the path, a
// decoded "/" inside a segment, and text that does not decode.
func splitPath(rawPath string) ([]string, error) {
	p := strings.TrimPrefix(rawPath, "/")
	p = strings.TrimSuffix(p, "/")
	if p == "" {
		return nil, nil
	}
	parts := strings.Split(p, "/")
	out := make([]string, len(parts))
	for i, s := range parts {
		d, err := url.PathUnescape(s)
		if err != nil {
			return nil, fmt.Errorf("segment %q does not decode: %v", s, err)
		}
		switch {
		case d == "":
			return nil, fmt.Errorf("empty path segment")
		case d == "." || d == "..":
			return nil, fmt.Errorf("path segment %q", d)
		case strings.ContainsAny(d, "/\\\x00"):
			return nil, fmt.Errorf("path segment %q holds a separator", d)
		}
		out[i] = d
	}
	return out, nil
}

func (g *SourceGuard) match(pattern string, segs []string) bool {
	ps := strings.Split(strings.Trim(pattern, "/"), "/")
	if pattern == "/" {
		ps = nil
	}
	if len(ps) != len(segs) {
		return false
	}
	for i, p := range ps {
		s := segs[i]
		switch p {
		case "{any}":
		case "{scroll}":
			// A scroll id never starts with "_": "_all" would end every client's scrolls, not ours.
			if strings.HasPrefix(s, "_") {
				return false
			}
		case "{index}":
			if !isIndexExpression(s) {
				return false
			}
		case "{own}":
			if g.Repository == "" || s != g.Repository {
				return false
			}
		case "{snapshot}":
			if strings.HasPrefix(s, "_") || strings.ContainsAny(s, ",*") {
				return false
			}
		case "{blocked}":
			if !g.covers(s) {
				return false
			}
		default:
			if p != s {
				return false
			}
		}
	}
	return true
}

// isIndexExpression tells whether a segment is an index expression rather than an API name: every comma part
// is a name, a wildcard, an exclusion (-name) or date math (<name-{now/d}>), and none starts with "_" except
// _all. Index names may be in any script (Chinese names are legal).
func isIndexExpression(s string) bool {
	for _, part := range strings.Split(s, ",") {
		switch {
		case part == "":
			return false
		case part == "_all":
		case strings.HasPrefix(part, "_"):
			return false
		}
	}
	return true
}

func (g *SourceGuard) covers(s string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.blocked) == 0 {
		return false
	}
	for _, n := range strings.Split(s, ",") {
		if !g.blocked[n] {
			return false // not named in the permission, or a wildcard, _all, an exclusion
		}
	}
	return true
}

// onlyLiftsWriteBlock tells whether a settings body does nothing but set index.blocks.write to false (or
// null), in any of Elasticsearch's spellings: {"index.blocks.write":false}, {"index":{"blocks":{"write":false}}}
// or {"blocks":{"write":false}} under "settings" or not.
func onlyLiftsWriteBlock(body func() []byte) bool {
	if body == nil {
		return false
	}
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(body()))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		return false
	}
	flat := map[string]any{}
	flatten("", m, flat)
	if len(flat) != 1 {
		return false
	}
	for k, v := range flat {
		k = strings.TrimPrefix(k, "settings.")
		k = strings.TrimPrefix(k, "index.")
		if k != "blocks.write" {
			return false
		}
		switch v {
		case false, nil, "false":
			return true
		}
	}
	return false
}

// endsEveryScroll tells whether the body of DELETE /_search/scroll names the scroll id "_all", which ends every
// client's scrolls on the cluster, not ours: the path form (/_search/scroll/_all) is refused by {scroll}, and
// so is this one. A body that is not JSON is refused too: the guard cannot tell what it names.
func endsEveryScroll(body func() []byte) bool {
	if body == nil {
		return false
	}
	b := body()
	if len(bytes.TrimSpace(b)) == 0 {
		return false
	}
	var v struct {
		ScrollID any `json:"scroll_id"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return true
	}
	switch id := v.ScrollID.(type) {
	case string:
		return id == "_all"
	case []any:
		for _, x := range id {
			if s, ok := x.(string); !ok || s == "_all" {
				return true
			}
		}
	}
	return false
}

func flatten(prefix string, v any, out map[string]any) {
	if m, ok := v.(map[string]any); ok && len(m) > 0 {
		for k, x := range m {
			flatten(prefix+k+".", x, out)
		}
		return
	}
	out[strings.TrimSuffix(prefix, ".")] = v
}
