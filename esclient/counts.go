package esclient

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/esmigrate/esmigrate/i18n"
)

// countsPerRequest bounds one _msearch: its body grows by two short lines per index.
const countsPerRequest = 500

// Counts returns the number of top-level documents of each named index, as _count gives it (a match_all
// search with track_total_hits; nested documents are not counted, unlike _cat/indices and _stats). One
// _msearch per 500 indices instead of one _count each. An index that cannot be counted (closed, missing) is
// left out of the counts and given in uncounted with Elasticsearch's reason; err is for the requests themselves.
func (c *Client) Counts(ctx context.Context, indices []string) (counts map[string]int64, uncounted map[string]string, err error) {
	out := make(map[string]int64, len(indices))
	failed := map[string]string{}
	for start := 0; start < len(indices); start += countsPerRequest {
		chunk := indices[start:min(start+countsPerRequest, len(indices))]
		var b strings.Builder
		for _, name := range chunk {
			h, _ := json.Marshal(map[string]any{"index": name})
			b.Write(h)
			// track_total_hits: an exact count (7.x counts up to 10,000 only by default); size 0: no hit.
			b.WriteString("\n{\"size\":0,\"track_total_hits\":true,\"query\":{\"match_all\":{}}}\n")
		}
		var raw struct {
			Responses []struct {
				Hits *struct {
					Total json.RawMessage `json:"total"`
				} `json:"hits"`
				Error *struct {
					Type   string `json:"type"`
					Reason string `json:"reason"`
				} `json:"error"`
			} `json:"responses"`
		}
		// The body is newline-delimited JSON; Elasticsearch and OpenSearch take it as application/json too
		// (checked on 7.10, 7.17, 8.19 and OpenSearch 2.19), which is what the client library sends.
		err := c.do(ctx, i18n.M("es.op.counts", len(chunk)), Request{Method: "POST", Path: "/_msearch",
			Params: params("filter_path", "responses.hits.total,responses.error.type,responses.error.reason"), Body: b.String()}, &raw)
		if err != nil {
			return nil, nil, err
		}
		if len(raw.Responses) != len(chunk) {
			return nil, nil, newError(c.cfg.Role, i18n.M("es.op.counts", len(chunk)), i18n.M("es.reason.answers", len(raw.Responses), len(chunk)), i18n.Msg{})
		}
		for i, r := range raw.Responses {
			name := chunk[i]
			if r.Error != nil || r.Hits == nil {
				why := "no answer"
				if r.Error != nil {
					why = r.Error.Type + ": " + r.Error.Reason
				}
				failed[name] = why
				continue
			}
			n, ok := totalHits(r.Hits.Total)
			if !ok {
				failed[name] = "unreadable total " + string(r.Hits.Total)
				continue
			}
			out[name] = n
		}
	}
	return out, failed, nil
}

// totalHits reads hits.total in both of its shapes: {"value":n,"relation":"eq"} (7.x and later) and a bare
// number (6.x).
func totalHits(raw json.RawMessage) (int64, bool) {
	var n int64
	if err := json.Unmarshal(raw, &n); err == nil {
		return n, true
	}
	var obj struct {
		Value    int64  `json:"value"`
		Relation string `json:"relation"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil || obj.Relation != "eq" {
		return 0, false
	}
	return obj.Value, true
}
