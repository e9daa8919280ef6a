package esclient

import (
	"context"
	"net/url"
	"sort"
	"strings"

	"github.com/esmigrate/esmigrate/i18n"
)

// RestoreSpec is one restore into the target.
type RestoreSpec struct {
	Repository          string
	Snapshot            string
	Indices             []string       // names as they are in the snapshot
	RenamePattern       string         // a Java regular expression, e.g. "(.+)"
	RenameReplacement   string         // e.g. "restored_$1"
	IndexSettings       map[string]any // e.g. {"index.number_of_replicas": 0}
	IgnoreIndexSettings []string       // e.g. ["index.refresh_interval"]
	IncludeAliases      bool           // restore the indices' aliases too
	IncludeGlobalState  bool           // templates, persistent settings... off unless asked
	Partial             bool           // restore indices whose snapshot is partial
	FeatureStates       []string       // 8.x: ["none"] keeps the target's system indices untouched
}

// RestoreRequest describes starting a restore without waiting for it; progress is read from the recovery API.
// Never retry it blindly: a second restore of the same index fails with "index already exists".
func RestoreRequest(s RestoreSpec) Request {
	body := map[string]any{
		"indices":              strings.Join(s.Indices, ","),
		"ignore_unavailable":   false,
		"include_global_state": s.IncludeGlobalState,
		"include_aliases":      s.IncludeAliases,
		"partial":              s.Partial,
	}
	if s.RenamePattern != "" {
		body["rename_pattern"] = s.RenamePattern
		body["rename_replacement"] = s.RenameReplacement
	}
	if len(s.IndexSettings) > 0 {
		body["index_settings"] = s.IndexSettings
	}
	if len(s.IgnoreIndexSettings) > 0 {
		body["ignore_index_settings"] = strings.Join(s.IgnoreIndexSettings, ",")
	}
	if len(s.FeatureStates) > 0 {
		body["feature_states"] = s.FeatureStates
	}
	return Request{Method: "POST",
		Path:   "/_snapshot/" + url.PathEscape(s.Repository) + "/" + url.PathEscape(s.Snapshot) + "/_restore",
		Params: params("wait_for_completion", "false"), Body: body}
}

// Restore starts a restore and returns once the target accepted it.
func (c *Client) Restore(ctx context.Context, s RestoreSpec) error {
	return c.do(ctx, i18n.M("es.op.restore", s.Snapshot, s.Repository), RestoreRequest(s), nil)
}

// ShardRecovery is one shard copy being recovered (for a restore: copied from the repository).
type ShardRecovery struct {
	Index          string `json:"index"`
	Shard          int    `json:"shard"`
	Primary        bool   `json:"primary"`
	Type           string `json:"type"`  // SNAPSHOT for a restore; PEER for replicas built from the primary
	Stage          string `json:"stage"` // INIT, INDEX, VERIFY_INDEX, TRANSLOG, FINALIZE, DONE
	Snapshot       string `json:"snapshot,omitempty"`
	Repository     string `json:"repository,omitempty"`
	TotalBytes     int64  `json:"total_bytes"`
	ReusedBytes    int64  `json:"reused_bytes"`
	RecoveredBytes int64  `json:"recovered_bytes"`
	TotalFiles     int    `json:"total_files"`
	RecoveredFiles int    `json:"recovered_files"`
	ReusedFiles    int    `json:"reused_files"` // files already on the target (a restore over a closed index)
	StartMillis    int64  `json:"start_millis"`
	StopMillis     int64  `json:"stop_millis"`
	TargetNode     string `json:"target_node,omitempty"`
}

// Done tells whether this shard copy has finished.
func (s ShardRecovery) Done() bool { return s.Stage == "DONE" }

// recoveryFilter keeps each poll small: only the fields the progress bars need.
var recoveryFilter = strings.Join([]string{
	"*.shards.id", "*.shards.type", "*.shards.stage", "*.shards.primary",
	"*.shards.start_time_in_millis", "*.shards.stop_time_in_millis",
	"*.shards.source.snapshot", "*.shards.source.repository",
	"*.shards.target.name",
	"*.shards.index.size.total_in_bytes", "*.shards.index.size.reused_in_bytes", "*.shards.index.size.recovered_in_bytes",
	"*.shards.index.files.total", "*.shards.index.files.recovered", "*.shards.index.files.reused",
}, ",")

// Recovery returns the recovery state of every shard of the named indices (finished ones included), sorted by
// index, shard and primary first. Indices that do not exist yet are left out.
func (c *Client) Recovery(ctx context.Context, indices []string) ([]ShardRecovery, error) {
	var raw map[string]struct {
		Shards []struct {
			ID      int    `json:"id"`
			Type    string `json:"type"`
			Stage   string `json:"stage"`
			Primary bool   `json:"primary"`
			Start   int64  `json:"start_time_in_millis"`
			Stop    int64  `json:"stop_time_in_millis"`
			Source  struct {
				Snapshot   string `json:"snapshot"`
				Repository string `json:"repository"`
			} `json:"source"`
			Target struct {
				Name string `json:"name"`
			} `json:"target"`
			Index struct {
				Size struct {
					Total     int64 `json:"total_in_bytes"`
					Reused    int64 `json:"reused_in_bytes"`
					Recovered int64 `json:"recovered_in_bytes"`
				} `json:"size"`
				Files struct {
					Total     int `json:"total"`
					Recovered int `json:"recovered"`
					Reused    int `json:"reused"`
				} `json:"files"`
			} `json:"index"`
		} `json:"shards"`
	}
	q := url.Values{"ignore_unavailable": {"true"}, "allow_no_indices": {"true"}, "filter_path": {recoveryFilter}}
	chunks := pathChunks(indices, "/", "/_recovery", q)
	want := map[string]bool{}
	if len(chunks) > 1 {
		// More names than one request line holds: the whole cluster's answer in one request, matched here,
		// instead of a request per chunk at every poll of a restore of thousands of indices.
		for _, n := range indices {
			want[n] = true
		}
		chunks = [][]string{nil}
	}
	for _, chunk := range chunks {
		path := "/_recovery"
		if chunk != nil {
			path = joinedPath("/", chunk, "/_recovery")
		}
		if err := c.do(ctx, i18n.M("es.op.recovery"), Request{Method: "GET", Path: path, Params: q}, &raw); err != nil {
			return nil, err
		}
	}
	var out []ShardRecovery
	for index, r := range raw {
		if len(want) > 0 && !want[index] {
			continue
		}
		for _, s := range r.Shards {
			out = append(out, ShardRecovery{Index: index, Shard: s.ID, Primary: s.Primary, Type: s.Type, Stage: s.Stage,
				Snapshot: s.Source.Snapshot, Repository: s.Source.Repository, TotalBytes: s.Index.Size.Total,
				ReusedBytes: s.Index.Size.Reused, RecoveredBytes: s.Index.Size.Recovered, TotalFiles: s.Index.Files.Total,
				RecoveredFiles: s.Index.Files.Recovered, ReusedFiles: s.Index.Files.Reused, StartMillis: s.Start, StopMillis: s.Stop, TargetNode: s.Target.Name})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Index != b.Index {
			return a.Index < b.Index
		}
		if a.Shard != b.Shard {
			return a.Shard < b.Shard
		}
		return a.Primary && !b.Primary
	})
	return out, nil
}
