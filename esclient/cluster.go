package esclient

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/esmigrate/esmigrate/i18n"
)

// Distribution of a cluster.
const (
	Elasticsearch = "elasticsearch"
	OpenSearch    = "opensearch"
)

// Version is a release number.
type Version struct{ Major, Minor, Patch int }

// ParseVersion reads "7.17.29" (suffixes like -SNAPSHOT are ignored).
func ParseVersion(s string) (Version, error) {
	var v Version
	core, _, _ := strings.Cut(s, "-")
	parts := strings.Split(core, ".")
	if len(parts) < 2 {
		return v, i18n.Errorf("es.version.bad", s)
	}
	nums := []*int{&v.Major, &v.Minor, &v.Patch}
	for i := 0; i < len(parts) && i < 3; i++ {
		n, err := strconv.Atoi(parts[i])
		if err != nil {
			return v, i18n.Errorf("es.version.bad", s)
		}
		*nums[i] = n
	}
	return v, nil
}

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// Less orders versions.
func (v Version) Less(o Version) bool {
	if v.Major != o.Major {
		return v.Major < o.Major
	}
	if v.Minor != o.Minor {
		return v.Minor < o.Minor
	}
	return v.Patch < o.Patch
}

// Info is what the root endpoint says about a cluster.
type Info struct {
	ClusterName  string  `json:"cluster_name"`
	ClusterUUID  string  `json:"cluster_uuid"`
	NodeName     string  `json:"node_name"`
	Distribution string  `json:"distribution"` // Elasticsearch or OpenSearch
	Version      Version `json:"version"`
	VersionText  string  `json:"version_text"`
	BuildFlavor  string  `json:"build_flavor,omitempty"`
}

// Product is "Elasticsearch 7.17.29" or "OpenSearch 2.19.1".
func (i Info) Product() string {
	name := "Elasticsearch"
	if i.Distribution == OpenSearch {
		name = "OpenSearch"
	}
	return name + " " + i.VersionText
}

// ConnectTimeout bounds the first request to a cluster (GET /).
var ConnectTimeout = 15 * time.Second

// Info asks the cluster who it is. It is the first request esmigrate sends, so its errors say the most about
// connection problems.
func (c *Client) Info(ctx context.Context) (Info, error) {
	var raw struct {
		Name        string `json:"name"`
		ClusterName string `json:"cluster_name"`
		ClusterUUID string `json:"cluster_uuid"`
		Tagline     string `json:"tagline"`
		Version     struct {
			Number       string `json:"number"`
			Distribution string `json:"distribution"`
			BuildFlavor  string `json:"build_flavor"`
		} `json:"version"`
	}
	op := i18n.M("es.op.connect", c.cfg.URL)
	// The first answer of a cluster comes at once; a listener that accepts and never answers (a proxy
	// holding the connection, a wrong port) is said after ConnectTimeout, not after the minute a slow
	// request may take.
	cctx, cancel := context.WithTimeout(ctx, ConnectTimeout)
	defer cancel()
	if err := c.do(cctx, op, Request{Method: "GET", Path: "/"}, &raw); err != nil {
		if ctx.Err() == nil && cctx.Err() != nil {
			e := newError(c.cfg.Role, op, i18n.M("es.reason.silent", ConnectTimeout.String()), fixFor(c.cfg, &Error{OpMsg: op, Type: TypeTimeout}))
			e.Type, e.Err = TypeTimeout, cctx.Err()
			return Info{}, e
		}
		return Info{}, err
	}
	if raw.Version.Number == "" {
		e := newError(c.cfg.Role, op, i18n.M("es.reason.noversion"), i18n.M("es.fix.notes"))
		e.Type = TypeNotES
		return Info{}, e
	}
	v, err := ParseVersion(raw.Version.Number)
	if err != nil {
		e := newError(c.cfg.Role, op, i18n.MsgOf(err), i18n.Msg{})
		e.Type = TypeNotES
		return Info{}, e
	}
	info := Info{ClusterName: raw.ClusterName, ClusterUUID: raw.ClusterUUID, NodeName: raw.Name, Version: v,
		VersionText: raw.Version.Number, Distribution: Elasticsearch, BuildFlavor: raw.Version.BuildFlavor}
	// OpenSearch 1.x reports version numbers in Elasticsearch's range; only distribution tells them apart.
	if strings.EqualFold(raw.Version.Distribution, OpenSearch) || strings.Contains(strings.ToLower(raw.Tagline), "opensearch") {
		info.Distribution = OpenSearch
	}
	return info, nil
}

// Health is the cluster's health summary.
type Health struct {
	Status              string `json:"status"` // green, yellow, red
	Nodes               int    `json:"number_of_nodes"`
	DataNodes           int    `json:"number_of_data_nodes"`
	ActivePrimaryShards int    `json:"active_primary_shards"`
	ActiveShards        int    `json:"active_shards"`
	RelocatingShards    int    `json:"relocating_shards"`
	InitializingShards  int    `json:"initializing_shards"`
	UnassignedShards    int    `json:"unassigned_shards"`
}

// Health returns the cluster's health without waiting for any status.
func (c *Client) Health(ctx context.Context) (Health, error) {
	r, err := c.es.ClusterHealth().Do(ctx)
	if err != nil {
		return Health{}, c.wrap(i18n.M("es.op.health"), err)
	}
	return Health{Status: r.Status, Nodes: r.NumberOfNodes, DataNodes: r.NumberOfDataNodes,
		ActivePrimaryShards: r.ActivePrimaryShards, ActiveShards: r.ActiveShards, RelocatingShards: r.RelocatingShards,
		InitializingShards: r.InitializingShards, UnassignedShards: r.UnassignedShards}, nil
}

// IndexHealth is the health of one index.
type IndexHealth struct {
	Status             string `json:"status"`
	ActiveShards       int    `json:"active_shards"`
	InitializingShards int    `json:"initializing_shards"`
	UnassignedShards   int    `json:"unassigned_shards"`
	RelocatingShards   int    `json:"relocating_shards"`
}

// IndicesHealth returns the health of the named indices (missing ones are absent from the map), in as many
// requests as the request-line limit needs.
func (c *Client) IndicesHealth(ctx context.Context, indices []string) (map[string]IndexHealth, error) {
	out := map[string]IndexHealth{}
	q := params("level", "indices", "expand_wildcards", "all", "filter_path", "indices.*.status,indices.*.active_shards,indices.*.initializing_shards,indices.*.unassigned_shards,indices.*.relocating_shards")
	chunks := pathChunks(indices, "/_cluster/health/", "", q)
	want := map[string]bool{}
	switch {
	case len(indices) == 0:
		chunks = [][]string{nil} // the whole cluster (_all)
	case len(chunks) > 1:
		// More names than one request line holds: every index's health in one request, matched here.
		for _, n := range indices {
			want[n] = true
		}
		chunks = [][]string{nil}
	}
	for _, chunk := range chunks {
		var raw struct {
			Indices map[string]IndexHealth `json:"indices"`
		}
		if err := c.do(ctx, i18n.M("es.op.indexhealth"), Request{Method: "GET", Path: joinedPath("/_cluster/health/", chunk, ""), Params: q}, &raw); err != nil {
			return nil, err
		}
		for k, v := range raw.Indices {
			if len(want) == 0 || want[k] {
				out[k] = v
			}
		}
	}
	return out, nil
}

// Node is one node of a cluster with what the migration needs to know about it.
type Node struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Host     string   `json:"host"`
	IP       string   `json:"ip"`
	Version  string   `json:"version"`
	Roles    []string `json:"roles"`
	PathRepo []string `json:"path_repo"` // path.repo as the running node sees it (empty when unset)
	Plugins  []string `json:"plugins"`   // installed plugins (not modules)
	Modules  []string `json:"modules"`
	PID      int      `json:"pid,omitempty"` // the node's process id, on its own host
}

// IsData tells whether the node holds shards.
func (n Node) IsData() bool {
	for _, r := range n.Roles {
		if r == "data" || strings.HasPrefix(r, "data_") {
			return true
		}
	}
	return len(n.Roles) == 0
}

// Nodes lists the cluster's nodes with their path.repo and plugins, sorted by name.
func (c *Client) Nodes(ctx context.Context) ([]Node, error) {
	var raw struct {
		Nodes map[string]struct {
			Name     string         `json:"name"`
			Host     string         `json:"host"`
			IP       string         `json:"ip"`
			Version  string         `json:"version"`
			Roles    []string       `json:"roles"`
			Settings map[string]any `json:"settings"`
			Plugins  []struct {
				Name string `json:"name"`
			} `json:"plugins"`
			Modules []struct {
				Name string `json:"name"`
			} `json:"modules"`
			Process struct {
				ID int `json:"id"`
			} `json:"process"`
		} `json:"nodes"`
	}
	err := c.do(ctx, i18n.M("es.op.nodes"), Request{Method: "GET", Path: "/_nodes/settings,plugins,process",
		Params: params("filter_path", "nodes.*.name,nodes.*.host,nodes.*.ip,nodes.*.version,nodes.*.roles,nodes.*.settings.path.repo,nodes.*.plugins.name,nodes.*.modules.name,nodes.*.process.id")}, &raw)
	if err != nil {
		return nil, err
	}
	nodes := make([]Node, 0, len(raw.Nodes))
	for id, n := range raw.Nodes {
		node := Node{ID: id, Name: n.Name, Host: n.Host, IP: n.IP, Version: n.Version, Roles: n.Roles, PID: n.Process.ID}
		if p, ok := n.Settings["path"].(map[string]any); ok {
			node.PathRepo = stringList(p["repo"])
		}
		for _, p := range n.Plugins {
			if m, ok := classpathModule(p.Name); ok {
				node.Modules = append(node.Modules, m)
				continue
			}
			node.Plugins = append(node.Plugins, p.Name)
		}
		for _, m := range n.Modules {
			node.Modules = append(node.Modules, m.Name)
		}
		nodes = append(nodes, node)
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	return nodes, nil
}

// classpathModule recognises a plugin whose name is a Java class name (org.elasticsearch.transport.Netty4Plugin):
// what a node started with modules on its class path (embedded, test runners) lists instead of the module's
// name. A plugin installed with elasticsearch-plugin is named like analysis-icu, never like a class. The class
// names differ between distributions and versions for the same module (org.elasticsearch.index.reindex
// .ReindexPlugin in 7.10, org.elasticsearch.reindex.ReindexPlugin in 7.17, org.opensearch.index.reindex
// .ReindexPlugin), so they are compared by the module they are: known ones by the module's name, others by
// the class's simple name.
func classpathModule(name string) (string, bool) {
	i := strings.LastIndex(name, ".")
	if i <= 0 || i == len(name)-1 {
		return "", false
	}
	simple := name[i+1:]
	if simple[0] < 'A' || simple[0] > 'Z' || strings.ContainsAny(name, " -/") {
		return "", false
	}
	if m, ok := moduleClasses[simple]; ok {
		return m, true
	}
	return simple, true
}

// moduleClasses maps the simple class names of Elasticsearch's and OpenSearch's modules to the modules' names.
var moduleClasses = map[string]string{
	"CommonAnalysisPlugin": "analysis-common", "MapperExtrasPlugin": "mapper-extras", "ParentJoinPlugin": "parent-join",
	"ReindexPlugin": "reindex", "Netty4Plugin": "transport-netty4", "Netty4ModulePlugin": "transport-netty4",
	"PainlessPlugin": "lang-painless", "ExpressionPlugin": "lang-expression", "MustachePlugin": "lang-mustache",
	"PercolatorPlugin": "percolator", "RankEvalPlugin": "rank-eval", "IngestCommonPlugin": "ingest-common",
	"IngestUserAgentPlugin": "ingest-user-agent", "URLRepositoryPlugin": "repository-url",
	"MatrixAggregationPlugin": "aggs-matrix-stats", "GeoModulePlugin": "geo", "IngestGeoIpPlugin": "ingest-geoip",
	"AnalysisICUPlugin": "analysis-icu", "DataStreamsPlugin": "data-streams",
}

// stringList reads a setting that may be a string, a comma-separated string or a list.
func stringList(v any) []string {
	switch t := v.(type) {
	case string:
		var out []string
		for _, s := range strings.Split(t, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out
	case []any:
		var out []string
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// NodeDisk is a data node's disk as shard allocation sees it.
type NodeDisk struct {
	Node       string `json:"node"`
	Shards     int    `json:"shards"`
	TotalBytes int64  `json:"total_bytes"`
	UsedBytes  int64  `json:"used_bytes"`
	AvailBytes int64  `json:"avail_bytes"`
}

// DiskUsage lists each data node's disk (from _cat/allocation).
func (c *Client) DiskUsage(ctx context.Context) ([]NodeDisk, error) {
	var rows []map[string]any
	err := c.do(ctx, i18n.M("es.op.disk"), Request{Method: "GET", Path: "/_cat/allocation",
		Params: params("format", "json", "bytes", "b", "h", "node,shards,disk.total,disk.used,disk.avail")}, &rows)
	if err != nil {
		return nil, err
	}
	var out []NodeDisk
	for _, r := range rows {
		name, _ := r["node"].(string)
		if name == "UNASSIGNED" || name == "" {
			continue
		}
		out = append(out, NodeDisk{Node: name, Shards: int(num(r["shards"])), TotalBytes: num(r["disk.total"]),
			UsedBytes: num(r["disk.used"]), AvailBytes: num(r["disk.avail"])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Node < out[j].Node })
	return out, nil
}

// num reads a number that _cat APIs send as a string (or null).
func num(v any) int64 {
	switch t := v.(type) {
	case string:
		n, _ := strconv.ParseInt(t, 10, 64)
		return n
	case float64:
		return int64(t)
	case json.Number:
		n, _ := t.Int64()
		return n
	}
	return 0
}

// Limits are the cluster settings that decide whether restored shards can be allocated.
type Limits struct {
	MaxShardsPerNode   int    `json:"max_shards_per_node"`
	LowWatermark       string `json:"low_watermark"`   // "85%" or "10gb"
	HighWatermark      string `json:"high_watermark"`  // "90%" or "5gb"
	FloodWatermark     string `json:"flood_watermark"` // "95%"
	DiskThresholdCheck bool   `json:"disk_threshold_enabled"`
}

// Limits reads the effective shard limit and disk watermarks (persistent, transient or default).
func (c *Client) Limits(ctx context.Context) (Limits, error) {
	// Nested (not flat) settings: filter_path matches object paths, not flat keys with dots in them.
	var raw map[string]any
	err := c.do(ctx, i18n.M("es.op.settings"), Request{Method: "GET", Path: "/_cluster/settings",
		Params: params("include_defaults", "true",
			"filter_path", "*.cluster.max_shards_per_node,*.cluster.routing.allocation.disk")}, &raw)
	if err != nil {
		return Limits{}, err
	}
	get := func(key string) string {
		for _, layer := range []string{"transient", "persistent", "defaults"} {
			var v any = raw[layer]
			for _, part := range strings.Split(key, ".") {
				m, _ := v.(map[string]any)
				v = m[part]
			}
			if v != nil {
				return fmt.Sprint(v)
			}
		}
		return ""
	}
	l := Limits{
		LowWatermark:       get("cluster.routing.allocation.disk.watermark.low"),
		HighWatermark:      get("cluster.routing.allocation.disk.watermark.high"),
		FloodWatermark:     get("cluster.routing.allocation.disk.watermark.flood_stage"),
		DiskThresholdCheck: get("cluster.routing.allocation.disk.threshold_enabled") != "false",
	}
	l.MaxShardsPerNode, _ = strconv.Atoi(get("cluster.max_shards_per_node"))
	if l.MaxShardsPerNode == 0 {
		l.MaxShardsPerNode = 1000
	}
	return l, nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return []byte(fmt.Sprintf("%q", fmt.Sprint(v)))
	}
	return b
}

// ExplainUnassigned asks why a shard is unassigned (the allocation explain API) and returns the reason in one
// line, e.g. the restore's failure ("failed to create index ... IOException while reading synonyms").
func (c *Client) ExplainUnassigned(ctx context.Context, index string, shard int, primary bool) (string, error) {
	var raw struct {
		UnassignedInfo struct {
			Reason  string `json:"reason"`
			Details string `json:"details"`
		} `json:"unassigned_info"`
		AllocateExplanation string `json:"allocate_explanation"`
		CanAllocate         string `json:"can_allocate"`
	}
	err := c.do(ctx, i18n.M("es.op.explain", index), Request{Method: "GET", Path: "/_cluster/allocation/explain",
		Body: map[string]any{"index": index, "shard": shard, "primary": primary}}, &raw)
	if err != nil {
		return "", err
	}
	parts := []string{}
	for _, s := range []string{raw.UnassignedInfo.Reason, raw.UnassignedInfo.Details, raw.AllocateExplanation} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ": "), nil
}

// RecoverySetting is indices.recovery.max_bytes_per_sec, the per-node throttle of recoveries (restores are
// recoveries): what the cluster's persistent settings say (nil: not set there) and the value in force
// (transient, persistent or the default, 40mb). Asked in the nested form: filter_path does not match the
// dotted keys of flat_settings=true (the answer is then {}).
func (c *Client) RecoverySetting(ctx context.Context) (persistent *string, effective string, err error) {
	var raw map[string]any
	err = c.do(ctx, i18n.M("es.op.recoverysetting"), Request{Method: "GET", Path: "/_cluster/settings",
		Params: params("include_defaults", "true", "filter_path", "*.indices.recovery.max_bytes_per_sec")}, &raw)
	if err != nil {
		return nil, "", err
	}
	get := func(layer string) (string, bool) {
		var v any = raw[layer]
		for _, k := range []string{"indices", "recovery", "max_bytes_per_sec"} {
			m, ok := v.(map[string]any)
			if !ok {
				return "", false
			}
			if v, ok = m[k]; !ok {
				return "", false
			}
		}
		return fmt.Sprint(v), true
	}
	if v, ok := get("persistent"); ok {
		persistent = &v
	}
	for _, layer := range []string{"transient", "persistent", "defaults"} {
		if v, ok := get(layer); ok {
			return persistent, v, nil
		}
	}
	return nil, "", i18n.Errorf("es.recoverysetting.missing", c.cfg.Role)
}

// SetRecoverySettingRequest describes setting indices.recovery.max_bytes_per_sec persistently (nil: remove it,
// back to the default or the elasticsearch.yml value).
func SetRecoverySettingRequest(value *string) Request {
	var v any
	if value != nil {
		v = *value
	}
	return Request{Method: "PUT", Path: "/_cluster/settings",
		Body: map[string]any{"persistent": map[string]any{"indices.recovery.max_bytes_per_sec": v}}}
}
