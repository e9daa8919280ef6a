package esclient

import (
	"context"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/esmigrate/esmigrate/i18n"
)

// SeqNo is a primary shard's position in its history of operations. Every index, update and delete operation
// takes the next sequence number; a shard restored from a snapshot starts where the snapshot's copy was, and a
// force-merge or a new replica does not change them (checked on Elasticsearch 7.10, 7.17, 8.19 and OpenSearch
// 2.19). Equal numbers on a source shard now and on its restored copy mean that no operation reached the source
// shard after the snapshot.
type SeqNo struct {
	Max             int64 `json:"max_seq_no"`
	LocalCheckpoint int64 `json:"local_checkpoint"`
}

// IndexSeqNos is an index's UUID and the sequence numbers of its primary shards, by shard number.
type IndexSeqNos struct {
	UUID      string        `json:"uuid"`
	Primaries map[int]SeqNo `json:"primaries"`
}

// seqNoFilter keeps the answer to what the comparison needs, however many shard copies there are.
const seqNoFilter = "indices.*.uuid,indices.*.shards.*.routing.primary,indices.*.shards.*.seq_no"

// SeqNos reads the UUID and the primaries' sequence numbers of the named indices: one _stats?level=shards per
// chunk of names that fits a request line, so a batch of any size takes a few requests. Indices that do not exist (or are
// closed) are absent from the map.
func (c *Client) SeqNos(ctx context.Context, indices []string) (map[string]IndexSeqNos, error) {
	out := map[string]IndexSeqNos{}
	q := url.Values{"level": {"shards"}, "ignore_unavailable": {"true"}, "filter_path": {seqNoFilter}}
	for _, chunk := range pathChunks(indices, "/", "/_stats/docs", q) {
		var raw struct {
			Indices map[string]struct {
				UUID   string `json:"uuid"`
				Shards map[string][]struct {
					Routing struct {
						Primary bool `json:"primary"`
					} `json:"routing"`
					SeqNo *SeqNo `json:"seq_no"`
				} `json:"shards"`
			} `json:"indices"`
		}
		err := c.do(ctx, i18n.M("es.op.seqno", strings.Join(chunk, ",")), Request{Method: "GET",
			Path: joinedPath("/", chunk, "/_stats/docs"), Params: q}, &raw)
		if err != nil {
			return nil, err
		}
		for name, ix := range raw.Indices {
			s := IndexSeqNos{UUID: ix.UUID, Primaries: map[int]SeqNo{}}
			for shard, copies := range ix.Shards {
				n, err := strconv.Atoi(shard)
				if err != nil {
					continue
				}
				for _, cp := range copies {
					if cp.Routing.Primary && cp.SeqNo != nil {
						s.Primaries[n] = *cp.SeqNo
					}
				}
			}
			out[name] = s
		}
	}
	return out, nil
}

// Shards lists the shard numbers in order.
func (s IndexSeqNos) Shards() []int {
	out := make([]int, 0, len(s.Primaries))
	for n := range s.Primaries {
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}

// RefreshExisting makes indexed documents visible to counts and searches, skipping names that do not exist (a
// source index deleted since its snapshot is reported by the comparison, not as a failed refresh). It changes
// no document.
func (c *Client) RefreshExisting(ctx context.Context, indices []string) error {
	q := url.Values{"ignore_unavailable": {"true"}, "allow_no_indices": {"true"}}
	for _, chunk := range pathChunks(indices, "/", "/_refresh", q) {
		if err := c.do(ctx, i18n.M("es.op.refresh", strings.Join(chunk, ",")), Request{Method: "POST", Path: joinedPath("/", chunk, "/_refresh"), Params: q}, nil); err != nil {
			return err
		}
	}
	return nil
}
