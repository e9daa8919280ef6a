package esclient

import (
	"context"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/esmigrate/esmigrate/i18n"
)

// Repository is a registered snapshot repository.
type Repository struct {
	Name     string            `json:"name"`
	Type     string            `json:"type"`
	Settings map[string]string `json:"settings"`
}

// Location is the directory of an fs repository.
func (r Repository) Location() string { return r.Settings["location"] }

// ReadOnly tells whether the repository is registered read-only on this cluster.
func (r Repository) ReadOnly() bool { return r.Settings["readonly"] == "true" }

// RepositorySpec is what the engine registers: always an fs repository.
type RepositorySpec struct {
	Name                   string
	Location               string
	ReadOnly               bool
	Compress               bool
	MaxSnapshotBytesPerSec string // "40mb"; empty keeps Elasticsearch's default
	MaxRestoreBytesPerSec  string
	ChunkSize              string
}

// Settings renders the repository settings as Elasticsearch stores them.
func (s RepositorySpec) Settings() map[string]string {
	m := map[string]string{"location": s.Location}
	if s.ReadOnly {
		m["readonly"] = "true"
	}
	if s.Compress {
		m["compress"] = "true"
	}
	if s.MaxSnapshotBytesPerSec != "" {
		m["max_snapshot_bytes_per_sec"] = s.MaxSnapshotBytesPerSec
	}
	if s.MaxRestoreBytesPerSec != "" {
		m["max_restore_bytes_per_sec"] = s.MaxRestoreBytesPerSec
	}
	if s.ChunkSize != "" {
		m["chunk_size"] = s.ChunkSize
	}
	return m
}

// CreateRepositoryRequest describes registering an fs repository. verify=false: verification is a separate
// step whose answer (which nodes can reach the share) the pre-flight shows.
func CreateRepositoryRequest(s RepositorySpec) Request {
	return Request{Method: "PUT", Path: "/_snapshot/" + url.PathEscape(s.Name), Params: params("verify", "false"),
		Body: map[string]any{"type": "fs", "settings": s.Settings()}}
}

// CreateRepository registers (or re-registers) an fs repository.
func (c *Client) CreateRepository(ctx context.Context, s RepositorySpec) error {
	return c.do(ctx, i18n.M("es.op.register", s.Name, s.Location), CreateRepositoryRequest(s), nil)
}

// Repositories lists the registered repositories, sorted by name.
func (c *Client) Repositories(ctx context.Context) ([]Repository, error) {
	var raw map[string]struct {
		Type     string         `json:"type"`
		Settings map[string]any `json:"settings"`
	}
	if err := c.do(ctx, i18n.M("es.op.repos"), Request{Method: "GET", Path: "/_snapshot/_all"}, &raw); err != nil {
		return nil, err
	}
	out := make([]Repository, 0, len(raw))
	for name, r := range raw {
		s := map[string]string{}
		for k, v := range r.Settings {
			switch t := v.(type) {
			case string:
				s[k] = t
			case bool:
				s[k] = strconv.FormatBool(t)
			default:
				s[k] = string(mustJSON(t))
			}
		}
		out = append(out, Repository{Name: name, Type: r.Type, Settings: s})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Repository returns one repository, or ok=false when it is not registered.
func (c *Client) Repository(ctx context.Context, name string) (Repository, bool, error) {
	repos, err := c.Repositories(ctx)
	if err != nil {
		return Repository{}, false, err
	}
	for _, r := range repos {
		if r.Name == name {
			return r, true, nil
		}
	}
	return Repository{}, false, nil
}

// RepositoryIdentity says which storage a registered repository is: the repository's uuid, which Elasticsearch
// 7.12+ reports in GET _snapshot/<name> once it has read the repository's data and the repository holds a
// snapshot ("" before 7.12, on OpenSearch, and for an empty repository), and the uuids of the snapshots it
// lists. Two reads; the listing (verbose=false: names and uuids only) is what makes the cluster read the
// repository's data.
func (c *Client) RepositoryIdentity(ctx context.Context, name string) (uuid string, snapshots []string, err error) {
	var list struct {
		Snapshots []struct {
			UUID string `json:"uuid"`
		} `json:"snapshots"`
	}
	if err := c.do(ctx, i18n.M("es.op.snapshotsof", name), Request{Method: "GET", Path: "/_snapshot/" + url.PathEscape(name) + "/_all",
		Params: params("verbose", "false")}, &list); err != nil {
		return "", nil, err
	}
	for _, s := range list.Snapshots {
		snapshots = append(snapshots, s.UUID)
	}
	var raw map[string]struct {
		UUID string `json:"uuid"`
	}
	if err := c.do(ctx, i18n.M("es.op.repo", name), Request{Method: "GET", Path: "/_snapshot/" + url.PathEscape(name)}, &raw); err != nil {
		return "", snapshots, err
	}
	if u := raw[name].UUID; u != "_na_" {
		uuid = u
	}
	return uuid, snapshots, nil
}

// VerifiedNode is a node that could read and write the repository during verification.
type VerifiedNode struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// VerifyRepository asks every node to write to and read from the repository. It returns the nodes that
// succeeded; on failure the error names the node that could not (Elasticsearch stops at the first).
func (c *Client) VerifyRepository(ctx context.Context, name string) ([]VerifiedNode, error) {
	var raw struct {
		Nodes map[string]struct {
			Name string `json:"name"`
		} `json:"nodes"`
	}
	err := c.do(ctx, i18n.M("es.op.verifyrepo", name), Request{Method: "POST", Path: "/_snapshot/" + url.PathEscape(name) + "/_verify"}, &raw)
	if err != nil {
		return nil, err
	}
	out := make([]VerifiedNode, 0, len(raw.Nodes))
	for id, n := range raw.Nodes {
		out = append(out, VerifiedNode{ID: id, Name: n.Name})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// DeleteRepositoryRequest describes unregistering a repository (its files stay where they are).
func DeleteRepositoryRequest(name string) Request {
	return Request{Method: "DELETE", Path: "/_snapshot/" + url.PathEscape(name)}
}

// DeleteRepository unregisters a repository. The files in the share are not touched.
func (c *Client) DeleteRepository(ctx context.Context, name string) error {
	return c.do(ctx, i18n.M("es.op.unregister", name), DeleteRepositoryRequest(name), nil)
}

// SnapshotSpec is one snapshot to take.
type SnapshotSpec struct {
	Repository         string
	Name               string
	Indices            []string
	IncludeGlobalState bool
	Partial            bool
	Metadata           map[string]any
}

// CreateSnapshotRequest describes starting a snapshot without waiting for it: progress is polled, so a dropped
// connection does not lose track of it.
func CreateSnapshotRequest(s SnapshotSpec) Request {
	body := map[string]any{
		"indices":              strings.Join(s.Indices, ","),
		"ignore_unavailable":   false,
		"include_global_state": s.IncludeGlobalState,
		"partial":              s.Partial,
	}
	if len(s.Metadata) > 0 {
		body["metadata"] = s.Metadata
	}
	return Request{Method: "PUT", Path: "/_snapshot/" + url.PathEscape(s.Repository) + "/" + url.PathEscape(s.Name),
		Params: params("wait_for_completion", "false"), Body: body}
}

// CreateSnapshot starts a snapshot and returns once Elasticsearch accepted it.
func (c *Client) CreateSnapshot(ctx context.Context, s SnapshotSpec) error {
	return c.do(ctx, i18n.M("es.op.snapshot", s.Name, s.Repository), CreateSnapshotRequest(s), nil)
}

// ShardFailure is why a shard could not be snapshotted.
type ShardFailure struct {
	Index   string `json:"index"`
	ShardID int    `json:"shard_id"`
	NodeID  string `json:"node_id,omitempty"`
	Status  string `json:"status,omitempty"`
	Reason  string `json:"reason"`
}

// Snapshot is a snapshot as the repository lists it.
type Snapshot struct {
	Name           string         `json:"snapshot"`
	UUID           string         `json:"uuid"`
	Version        string         `json:"version"`
	State          string         `json:"state"` // IN_PROGRESS, SUCCESS, PARTIAL, FAILED, INCOMPATIBLE
	Reason         string         `json:"reason,omitempty"`
	Indices        []string       `json:"indices"`
	StartMillis    int64          `json:"start_time_in_millis"`
	EndMillis      int64          `json:"end_time_in_millis"`
	DurationMillis int64          `json:"duration_in_millis"`
	Failures       []ShardFailure `json:"failures,omitempty"`
	// Metadata is what the snapshot's creator wrote into it (Elasticsearch 7.3 and later; OpenSearch): esmigrate
	// writes its migration's id there, to tell its own snapshots from others of the same name.
	Metadata map[string]any `json:"metadata,omitempty"`
	Shards   struct {
		Total      int `json:"total"`
		Failed     int `json:"failed"`
		Successful int `json:"successful"`
	} `json:"shards"`
}

// Snapshot returns one snapshot, or ok=false when the repository does not hold it.
func (c *Client) Snapshot(ctx context.Context, repo, name string) (Snapshot, bool, error) {
	var raw struct {
		Snapshots []Snapshot `json:"snapshots"`
	}
	err := c.do(ctx, i18n.M("es.op.readsnapshot", name, repo),
		Request{Method: "GET", Path: "/_snapshot/" + url.PathEscape(repo) + "/" + url.PathEscape(name)}, &raw, 404)
	if err != nil {
		return Snapshot{}, false, err
	}
	for _, s := range raw.Snapshots {
		if s.Name == name {
			return s, true, nil
		}
	}
	return Snapshot{}, false, nil
}

// Snapshots lists every snapshot in a repository, oldest first.
func (c *Client) Snapshots(ctx context.Context, repo string) ([]Snapshot, error) {
	var raw struct {
		Snapshots []Snapshot `json:"snapshots"`
	}
	err := c.do(ctx, i18n.M("es.op.snapshotsin", repo),
		Request{Method: "GET", Path: "/_snapshot/" + url.PathEscape(repo) + "/_all"}, &raw)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(raw.Snapshots, func(i, j int) bool { return raw.Snapshots[i].StartMillis < raw.Snapshots[j].StartMillis })
	return raw.Snapshots, nil
}

// DeleteSnapshotRequest describes deleting a snapshot (only the files no other snapshot uses are removed).
func DeleteSnapshotRequest(repo, name string) Request {
	return Request{Method: "DELETE", Path: "/_snapshot/" + url.PathEscape(repo) + "/" + url.PathEscape(name)}
}

// DeleteSnapshot deletes a snapshot from a repository.
func (c *Client) DeleteSnapshot(ctx context.Context, repo, name string) error {
	return c.do(ctx, i18n.M("es.op.deletesnapshot", name, repo), DeleteSnapshotRequest(repo, name), nil)
}

// Bytes and file counts of snapshot work.
type SnapshotStats struct {
	IncrementalFiles int   // files this snapshot has to write (not shared with earlier snapshots)
	IncrementalBytes int64 // bytes this snapshot has to write
	ProcessedFiles   int
	ProcessedBytes   int64
	TotalFiles       int // files the snapshot references, incl. those reused from earlier snapshots
	TotalBytes       int64
	StartMillis      int64
	TimeMillis       int64
}

// ShardsStats counts shards by stage.
type ShardsStats struct {
	Initializing int `json:"initializing"`
	Started      int `json:"started"`
	Finalizing   int `json:"finalizing"`
	Done         int `json:"done"`
	Failed       int `json:"failed"`
	Total        int `json:"total"`
}

// SnapshotProgress is a running snapshot's progress, overall and per index.
type SnapshotProgress struct {
	Name    string
	State   string // STARTED, SUCCESS...
	Shards  ShardsStats
	Stats   SnapshotStats
	Indices map[string]IndexSnapshotProgress
}

// IndexSnapshotProgress is one index's part of a running snapshot.
type IndexSnapshotProgress struct {
	Shards ShardsStats
	Stats  SnapshotStats
}

// rawStats parses both the 7.x+ shape (incremental/processed/total) and the 6.x shape
// (number_of_files, processed_files, total_size_in_bytes, processed_size_in_bytes); 6.8 may send both.
type rawStats struct {
	Incremental *struct {
		FileCount   int   `json:"file_count"`
		SizeInBytes int64 `json:"size_in_bytes"`
	} `json:"incremental"`
	Processed *struct {
		FileCount   int   `json:"file_count"`
		SizeInBytes int64 `json:"size_in_bytes"`
	} `json:"processed"`
	Total *struct {
		FileCount   int   `json:"file_count"`
		SizeInBytes int64 `json:"size_in_bytes"`
	} `json:"total"`
	NumberOfFiles        int   `json:"number_of_files"`
	ProcessedFiles       int   `json:"processed_files"`
	TotalSizeInBytes     int64 `json:"total_size_in_bytes"`
	ProcessedSizeInBytes int64 `json:"processed_size_in_bytes"`
	StartTimeInMillis    int64 `json:"start_time_in_millis"`
	TimeInMillis         int64 `json:"time_in_millis"`
}

func (r rawStats) stats() SnapshotStats {
	s := SnapshotStats{StartMillis: r.StartTimeInMillis, TimeMillis: r.TimeInMillis,
		IncrementalFiles: r.NumberOfFiles, IncrementalBytes: r.TotalSizeInBytes,
		ProcessedFiles: r.ProcessedFiles, ProcessedBytes: r.ProcessedSizeInBytes,
		TotalFiles: r.NumberOfFiles, TotalBytes: r.TotalSizeInBytes}
	if r.Incremental != nil {
		s.IncrementalFiles, s.IncrementalBytes = r.Incremental.FileCount, r.Incremental.SizeInBytes
	}
	if r.Total != nil {
		s.TotalFiles, s.TotalBytes = r.Total.FileCount, r.Total.SizeInBytes
	}
	if r.Processed != nil {
		s.ProcessedFiles, s.ProcessedBytes = r.Processed.FileCount, r.Processed.SizeInBytes
	}
	return s
}

type rawSnapshotStatus struct {
	Snapshots []struct {
		Snapshot    string      `json:"snapshot"`
		State       string      `json:"state"`
		ShardsStats ShardsStats `json:"shards_stats"`
		Stats       rawStats    `json:"stats"`
		Indices     map[string]struct {
			ShardsStats ShardsStats `json:"shards_stats"`
			Stats       rawStats    `json:"stats"`
		} `json:"indices"`
	} `json:"snapshots"`
}

// statusFilter keeps a poll small: no per-shard detail, however many shards the snapshot has.
const statusFilter = "snapshots.snapshot,snapshots.state,snapshots.shards_stats,snapshots.stats," +
	"snapshots.indices.*.shards_stats,snapshots.indices.*.stats"

// RunningSnapshots returns the progress of the snapshots currently running in a repository. It is the cheap
// call to poll: a finished snapshot is not listed (ask Snapshot for its outcome).
func (c *Client) RunningSnapshots(ctx context.Context, repo string) ([]SnapshotProgress, error) {
	var raw rawSnapshotStatus
	err := c.do(ctx, i18n.M("es.op.snapshotprogress", repo),
		Request{Method: "GET", Path: "/_snapshot/" + url.PathEscape(repo) + "/_status", Params: params("filter_path", statusFilter)}, &raw)
	if err != nil {
		return nil, err
	}
	return raw.progress(), nil
}

// AllRunningSnapshots returns every snapshot running in the cluster, whatever the repository (a check before
// starting one: before 7.9 only one can run at a time).
func (c *Client) AllRunningSnapshots(ctx context.Context) ([]SnapshotProgress, error) {
	var raw rawSnapshotStatus
	err := c.do(ctx, i18n.M("es.op.running"),
		Request{Method: "GET", Path: "/_snapshot/_status", Params: params("filter_path", statusFilter)}, &raw)
	if err != nil {
		return nil, err
	}
	return raw.progress(), nil
}

// SnapshotStatus reads the full status of one snapshot, finished or not. On a finished snapshot it reads the
// repository once per shard: use it once at the end, not in a poll loop.
func (c *Client) SnapshotStatus(ctx context.Context, repo, name string) (SnapshotProgress, error) {
	var raw rawSnapshotStatus
	err := c.do(ctx, i18n.M("es.op.snapshotstatus", name),
		Request{Method: "GET", Path: "/_snapshot/" + url.PathEscape(repo) + "/" + url.PathEscape(name) + "/_status",
			Params: params("filter_path", statusFilter)}, &raw)
	if err != nil {
		return SnapshotProgress{}, err
	}
	p := raw.progress()
	if len(p) == 0 {
		return SnapshotProgress{Name: name}, nil
	}
	return p[0], nil
}

func (raw rawSnapshotStatus) progress() []SnapshotProgress {
	out := make([]SnapshotProgress, 0, len(raw.Snapshots))
	for _, s := range raw.Snapshots {
		p := SnapshotProgress{Name: s.Snapshot, State: s.State, Shards: s.ShardsStats, Stats: s.Stats.stats(),
			Indices: map[string]IndexSnapshotProgress{}}
		for name, ix := range s.Indices {
			p.Indices[name] = IndexSnapshotProgress{Shards: ix.ShardsStats, Stats: ix.Stats.stats()}
		}
		out = append(out, p)
	}
	return out
}
