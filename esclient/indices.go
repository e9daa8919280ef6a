package esclient

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/esmigrate/esmigrate/i18n"
)

// Index is one index as the index picker and the planner see it.
type Index struct {
	Name           string   `json:"name"`
	UUID           string   `json:"uuid"`
	Health         string   `json:"health"`      // green, yellow, red; empty for a closed index
	Status         string   `json:"status"`      // open, close
	Docs           int64    `json:"docs"`        // top-level documents, as _count counts them (CountDocs); -1 until counted
	StoredDocs     int64    `json:"stored_docs"` // Lucene documents (_cat/indices docs.count): nested documents count too
	PrimaryBytes   int64    `json:"primary_bytes"`
	TotalBytes     int64    `json:"total_bytes"`
	Primaries      int      `json:"primaries"`
	Replicas       int      `json:"replicas"`
	Aliases        []string `json:"aliases,omitempty"`
	WriteAliases   []string `json:"write_aliases,omitempty"` // aliases for which this index is the explicit write index
	Hidden         bool     `json:"hidden,omitempty"`
	System         bool     `json:"system,omitempty"` // a dot-prefixed (system or internal) index
	CreatedVersion string   `json:"created_version,omitempty"`
	DataStream     string   `json:"data_stream,omitempty"`
}

// Closed tells whether the index is closed (its data cannot be snapshotted until it is opened).
func (i Index) Closed() bool { return i.Status == "close" }

// Shards is the number of shard copies the index has (primaries × (1 + replicas)).
func (i Index) Shards() int { return i.Primaries * (1 + i.Replicas) }

// Indices lists every index, open or closed, hidden or not, with sizes, aliases and flags, sorted by name.
// Three small requests, whatever the number of indices.
func (c *Client) Indices(ctx context.Context) ([]Index, error) {
	var rows []map[string]any
	err := c.do(ctx, i18n.M("es.op.indices"), Request{Method: "GET", Path: "/_cat/indices",
		Params: params("format", "json", "bytes", "b", "expand_wildcards", "all",
			"h", "health,status,index,uuid,pri,rep,docs.count,store.size,pri.store.size")}, &rows)
	if err != nil {
		return nil, err
	}
	byName := map[string]*Index{}
	out := make([]Index, 0, len(rows))
	for _, r := range rows {
		ix := Index{UUID: str(r["uuid"]), Health: str(r["health"]), Status: str(r["status"]), Name: str(r["index"]),
			Docs: -1, StoredDocs: num(r["docs.count"]), TotalBytes: num(r["store.size"]), PrimaryBytes: num(r["pri.store.size"]),
			Primaries: int(num(r["pri"])), Replicas: int(num(r["rep"]))}
		ix.System = strings.HasPrefix(ix.Name, ".")
		out = append(out, ix)
	}
	for i := range out {
		byName[out[i].Name] = &out[i]
	}
	if len(out) == 0 {
		return out, nil
	}

	// Hidden flag, creation version, shard counts of closed indices: one settings request.
	var settings map[string]struct {
		Settings map[string]string `json:"settings"`
	}
	err = c.do(ctx, i18n.M("es.op.indexsettings"), Request{Method: "GET",
		Path:   "/_all/_settings/index.hidden,index.version.created,index.number_of_shards,index.number_of_replicas",
		Params: params("expand_wildcards", "all", "flat_settings", "true")}, &settings)
	if err != nil {
		return nil, err
	}
	for name, s := range settings {
		ix := byName[name]
		if ix == nil {
			continue
		}
		ix.Hidden = s.Settings["index.hidden"] == "true"
		ix.CreatedVersion = VersionFromID(s.Settings["index.version.created"])
		if ix.Primaries == 0 {
			ix.Primaries, _ = strconv.Atoi(s.Settings["index.number_of_shards"])
			ix.Replicas, _ = strconv.Atoi(s.Settings["index.number_of_replicas"])
		}
	}

	var aliases []map[string]any
	err = c.do(ctx, i18n.M("es.op.aliases"), Request{Method: "GET", Path: "/_cat/aliases",
		Params: params("format", "json", "h", "alias,index,is_write_index", "expand_wildcards", "all")}, &aliases)
	if err != nil {
		return nil, err
	}
	for _, a := range aliases {
		if ix := byName[str(a["index"])]; ix != nil {
			ix.Aliases = append(ix.Aliases, str(a["alias"]))
			if str(a["is_write_index"]) == "true" {
				ix.WriteAliases = append(ix.WriteAliases, str(a["alias"]))
			}
		}
	}
	for i := range out {
		sort.Strings(out[i].Aliases)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// CountDocs fills in the top-level document count (Docs) of the open indices of the list, through Counts
// (_msearch): _cat/indices and _stats count every nested document as a document of its own, so that an index of
// 3,000 articles with 6,000 comments shows 9,000. Indices that cannot be counted (closed, red) keep -1.
func (c *Client) CountDocs(ctx context.Context, indices []Index) error {
	var names []string
	for _, ix := range indices {
		if !ix.Closed() {
			names = append(names, ix.Name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	counts, _, err := c.Counts(ctx, names)
	if err != nil {
		return err
	}
	for i := range indices {
		if n, ok := counts[indices[i].Name]; ok {
			indices[i].Docs = n
		}
	}
	return nil
}

// VersionFromID turns Elasticsearch's internal version id (7172999) into "7.17.29".
func VersionFromID(id string) string {
	n, err := strconv.Atoi(id)
	if err != nil || n <= 0 {
		return ""
	}
	// OpenSearch ids carry a mask bit (0x08000000) that marks them as OpenSearch ids.
	if n&0x08000000 != 0 {
		n ^= 0x08000000
	}
	return strconv.Itoa(n/1000000) + "." + strconv.Itoa(n/10000%100) + "." + strconv.Itoa(n/100%100)
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// IndexDetails is what the pre-flight needs to know about an index beyond its size: its settings (analysis,
// creation version) and mappings, to find what plugins it depends on.
type IndexDetails struct {
	Name     string
	Settings map[string]string // flat settings: "index.analysis.analyzer.my.type": "custom"
	Mappings map[string]any
}

// IndexDetails returns settings and mappings of the named indices.
func (c *Client) IndexDetails(ctx context.Context, indices []string) (map[string]IndexDetails, error) {
	out := map[string]IndexDetails{}
	if len(indices) == 0 {
		return out, nil
	}
	settings := map[string]struct {
		Settings map[string]any `json:"settings"`
	}{}
	mappings := map[string]struct {
		Mappings map[string]any `json:"mappings"`
	}{}
	sq, mq := params("flat_settings", "true", "expand_wildcards", "all"), params("expand_wildcards", "all")
	for _, chunk := range pathChunks(indices, "/", "/_settings", sq) {
		if err := c.do(ctx, i18n.M("es.op.indexsettings"), Request{Method: "GET", Path: joinedPath("/", chunk, "/_settings"), Params: sq}, &settings); err != nil {
			return nil, err
		}
		if err := c.do(ctx, i18n.M("es.op.mappings"), Request{Method: "GET", Path: joinedPath("/", chunk, "/_mapping"), Params: mq}, &mappings); err != nil {
			return nil, err
		}
	}
	for name, s := range settings {
		out[name] = IndexDetails{Name: name, Settings: flatSettings(s.Settings), Mappings: mappings[name].Mappings}
	}
	return out, nil
}

// flatSettings turns settings read with flat_settings=true into strings: a list (index.routing.allocation
// values, analysis filters) becomes its comma-joined elements, as the settings API itself accepts them back.
func flatSettings(settings map[string]any) map[string]string {
	flat := make(map[string]string, len(settings))
	for k, v := range settings {
		switch t := v.(type) {
		case string:
			flat[k] = t
		case []any:
			parts := make([]string, 0, len(t))
			for _, e := range t {
				parts = append(parts, str(e))
			}
			flat[k] = strings.Join(parts, ",")
		default:
			flat[k] = fmt.Sprint(t)
		}
	}
	return flat
}

// Count returns the number of top-level documents in an index (nested documents are not counted, unlike
// _cat/indices), as verification needs.
func (c *Client) Count(ctx context.Context, index string) (int64, error) {
	n, err := c.es.Count(index).Do(ctx)
	if err != nil {
		return 0, c.wrap(i18n.M("es.op.count", index), err)
	}
	return n, nil
}

// Refresh makes every indexed document visible to Count. It changes no document. No names: every index.
func (c *Client) Refresh(ctx context.Context, indices ...string) error {
	chunks := pathChunks(indices, "/", "/_refresh", nil)
	if len(indices) == 0 {
		chunks = [][]string{nil}
	}
	for _, chunk := range chunks {
		if _, err := c.es.Refresh(chunk...).Do(ctx); err != nil {
			return c.wrap(i18n.M("es.op.refresh", strings.Join(chunk, ",")), err)
		}
	}
	return nil
}

// SetReplicasRequests describe setting number_of_replicas on indices of the target: one request per group of
// names that fits a request line (a batch of hundreds of indices would otherwise be refused with
// too_long_http_line_exception).
func SetReplicasRequests(indices []string, replicas int) []Request {
	var out []Request
	for _, chunk := range pathChunks(indices, "/", "/_settings", nil) {
		out = append(out, Request{Method: "PUT", Path: joinedPath("/", chunk, "/_settings"),
			Body: map[string]any{"index": map[string]any{"number_of_replicas": replicas}}})
	}
	return out
}

// SetReplicas changes number_of_replicas (the engine restores with 0 and puts the original value back after).
func (c *Client) SetReplicas(ctx context.Context, indices []string, replicas int) error {
	for _, r := range SetReplicasRequests(indices, replicas) {
		if err := c.do(ctx, i18n.M("es.op.replicas", strings.Join(indices, ","), replicas), r, nil); err != nil {
			return err
		}
	}
	return nil
}

// DeleteIndexRequests describe deleting indices, one request per group of names that fits a request line.
// Only ever sent to the target, after a typed confirmation. An empty list gives no request (never DELETE /_all).
func DeleteIndexRequests(indices []string) []Request {
	var out []Request
	for _, chunk := range pathChunks(indices, "/", "", nil) {
		out = append(out, Request{Method: "DELETE", Path: joinedPath("/", chunk, "")})
	}
	return out
}

// DeleteIndices deletes indices (target only; a read-only client refuses it).
func (c *Client) DeleteIndices(ctx context.Context, indices []string) error {
	for _, r := range DeleteIndexRequests(indices) {
		if err := c.do(ctx, i18n.M("es.op.deleteindices", strings.Join(indices, ",")), r, nil); err != nil {
			return err
		}
	}
	return nil
}

// Exists tells which of the names exist as an index on this cluster. A name that is an alias there is an
// error that names the indices behind it: GET <alias>/_settings answers with those indices, which a caller
// would otherwise take for "the index in the way" and, with on_conflict: delete, delete (indices that are not
// the migration's), and a restore cannot create an index under an alias's name anyway.
func (c *Client) Exists(ctx context.Context, names []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(names) == 0 {
		return out, nil
	}
	asked := map[string]bool{}
	for _, n := range names {
		asked[n] = true
	}
	var behind []string // indices answered for a name that was not asked: an alias among the names
	q := url.Values{"ignore_unavailable": {"true"}, "expand_wildcards": {"all"}, "allow_no_indices": {"true"}}
	for _, chunk := range pathChunks(names, "/", "/_settings/index.uuid", q) {
		var raw map[string]any
		if err := c.do(ctx, i18n.M("es.op.lookup"), Request{Method: "GET", Path: joinedPath("/", chunk, "/_settings/index.uuid"), Params: q}, &raw); err != nil {
			return nil, err
		}
		for name := range raw {
			if asked[name] {
				out[name] = true
			} else {
				behind = append(behind, name)
			}
		}
	}
	if len(behind) == 0 {
		return out, nil
	}
	// Which of the names are aliases, and of what (one more read, only in this case).
	sort.Strings(behind)
	var aliases []string
	for _, chunk := range pathChunks(behind, "/", "/_alias", nil) {
		var raw map[string]struct {
			Aliases map[string]any `json:"aliases"`
		}
		if err := c.do(ctx, i18n.M("es.op.lookup"), Request{Method: "GET", Path: joinedPath("/", chunk, "/_alias")}, &raw); err != nil {
			return nil, err
		}
		for ix, a := range raw {
			for alias := range a.Aliases {
				if asked[alias] {
					aliases = append(aliases, alias+" → "+ix)
				}
			}
		}
	}
	sort.Strings(aliases)
	if len(aliases) == 0 {
		aliases = behind
	}
	return nil, i18n.Errorf("es.exists.alias", c.cfg.Role, strings.Join(aliases, ", "))
}
