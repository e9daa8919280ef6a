package esclient

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/buger/jsonparser"
	"github.com/olivere/elastic/v7"

	"github.com/esmigrate/esmigrate/i18n"
)

// ScanMode is how every document of an index is read, page by page, for content verification. The mode is chosen
// from the cluster's distribution and version, never by trying: on Elasticsearch 7.x, POST <index>/_pit and
// POST <index>/_search/point_in_time are also the shapes of the old typed document API (index <index>, type
// "_pit" or "_search"), which Elasticsearch refuses only because a type may not start with "_".
type ScanMode string

// Scan modes.
const (
	// ScanPIT is Elasticsearch's point in time (in the server from 7.13, without x-pack): POST <index>/_pit,
	// then searches sorted by _shard_doc with search_after, then DELETE _pit.
	ScanPIT ScanMode = "pit"
	// ScanOpenSearchPIT is OpenSearch's point in time (2.4 and later): POST <index>/_search/point_in_time, then
	// searches sorted by _doc with search_after (one shard per slice: _doc is only unique within a shard), then
	// DELETE _search/point_in_time.
	ScanOpenSearchPIT ScanMode = "opensearch-pit"
	// ScanScroll is a sliced scroll sorted by _doc, where there is no point in time (Elasticsearch before 7.13,
	// such as 7.10 OSS, and OpenSearch before 2.4).
	ScanScroll ScanMode = "scroll"
)

// ScanModeFor picks the scan mode a cluster supports.
func ScanModeFor(i Info) ScanMode {
	v := i.Version
	if i.Distribution == OpenSearch {
		if v.Major > 2 || v.Major == 2 && v.Minor >= 4 {
			return ScanOpenSearchPIT
		}
		return ScanScroll
	}
	if v.Major > 7 || v.Major == 7 && v.Minor >= 13 {
		return ScanPIT
	}
	return ScanScroll
}

// Doc is one document as content verification reads it: its id, its custom routing (empty when none) and its
// _source exactly as Elasticsearch sent it (the stored bytes when no source filtering is asked for; nil when
// _source is disabled).
type Doc struct {
	ID      string
	Routing string
	Source  json.RawMessage
}

// Scan reads one index in slices. Each slice is one primary shard (a slice count equal to the number of
// shards makes Elasticsearch give each slice one whole shard, with no per-document slice filter to evaluate on
// every page), read by its own goroutine.
type Scan struct {
	c         *Client
	index     string
	mode      ScanMode
	slices    int
	pit       string
	keepAlive string
}

// OpenScan prepares reading every document of index in `shards` slices (its number of primary shards). For a
// point in time it opens one, which holds the index's state as of now for every slice.
func (c *Client) OpenScan(ctx context.Context, index string, mode ScanMode, shards int) (*Scan, error) {
	s := &Scan{c: c, index: index, mode: mode, slices: max(shards, 1), keepAlive: "5m"}
	switch mode {
	case ScanPIT:
		var raw struct {
			ID string `json:"id"`
		}
		err := c.do(ctx, i18n.M("es.op.openpit", index), Request{Method: "POST", Path: "/" + url.PathEscape(index) + "/_pit",
			Params: params("keep_alive", s.keepAlive)}, &raw)
		if err != nil {
			return nil, err
		}
		s.pit = raw.ID
	case ScanOpenSearchPIT:
		var raw struct {
			PitID string `json:"pit_id"`
		}
		err := c.do(ctx, i18n.M("es.op.openpit", index), Request{Method: "POST", Path: "/" + url.PathEscape(index) + "/_search/point_in_time",
			Params: params("keep_alive", s.keepAlive)}, &raw)
		if err != nil {
			return nil, err
		}
		s.pit = raw.PitID
	case ScanScroll:
	default:
		return nil, fmt.Errorf("unknown scan mode %q", mode)
	}
	return s, nil
}

// Slices is how many slices the index is read in.
func (s *Scan) Slices() int { return s.slices }

// Mode is how the index is read.
func (s *Scan) Mode() ScanMode { return s.mode }

type scanPage struct {
	PitID    string `json:"pit_id"`
	ScrollID string `json:"_scroll_id"`
	Shards   struct {
		Total    int `json:"total"`
		Failed   int `json:"failed"`
		Failures []struct {
			Shard  int `json:"shard"`
			Reason struct {
				Type   string `json:"type"`
				Reason string `json:"reason"`
			} `json:"reason"`
		} `json:"failures"`
	} `json:"_shards"`
	Hits struct {
		Hits []struct {
			ID      string            `json:"_id"`
			Routing string            `json:"_routing"`
			Source  json.RawMessage   `json:"_source"`
			Sort    []json.RawMessage `json:"sort"`
		} `json:"hits"`
	} `json:"hits"`
}

// ReadSlice reads one slice to its end, handing each page's documents to fn (pages of about pageSize
// documents). It is not resumable: after an error, read the slice again from its start (a scroll cannot be
// rewound, and a page asked for twice would be lost or counted twice).
func (s *Scan) ReadSlice(ctx context.Context, slice, pageSize int, fn func([]Doc) error) error {
	body := map[string]any{"size": pageSize}
	if s.slices > 1 {
		body["slice"] = map[string]any{"id": slice, "max": s.slices}
	}
	op := i18n.M("es.op.scan", s.index, slice+1, s.slices)
	var scrollID string
	defer func() {
		if scrollID != "" {
			// Free the search context at once rather than after its keep-alive (a context is memory on the node).
			_ = s.c.do(context.WithoutCancel(ctx), i18n.M("es.op.endscroll", s.index), Request{Method: "DELETE", Path: "/_search/scroll",
				Body: map[string]any{"scroll_id": []string{scrollID}}}, nil)
		}
	}()
	pit := s.pit
	for first := true; ; first = false {
		var raw []byte
		var err error
		switch s.mode {
		case ScanScroll:
			if first {
				body["sort"] = []string{"_doc"} // the order documents are stored in: the cheapest
				raw, err = s.c.doPlain(ctx, op, Request{Method: "POST", Path: "/" + url.PathEscape(s.index) + "/_search",
					Params: params("scroll", s.keepAlive), Body: body})
			} else {
				raw, err = s.c.doPlain(ctx, op, Request{Method: "POST", Path: "/_search/scroll",
					Body: map[string]any{"scroll": s.keepAlive, "scroll_id": scrollID}})
			}
		default:
			body["pit"] = map[string]any{"id": pit, "keep_alive": s.keepAlive}
			body["track_total_hits"] = false
			if s.mode == ScanPIT {
				body["sort"] = []string{"_shard_doc"}
			} else {
				// OpenSearch has no _shard_doc; _doc is unique within a shard, and each slice is one shard.
				body["sort"] = []string{"_doc"}
			}
			raw, err = s.c.doPlain(ctx, op, Request{Method: "POST", Path: "/_search", Body: body})
		}
		if err != nil {
			return err
		}
		page, err := parsePage(raw)
		if err != nil {
			e := newError(s.c.cfg.Role, op, i18n.M("es.reason.unexpected", err.Error()), i18n.Msg{})
			e.Err = err
			return e
		}
		if page.scrollID != "" {
			scrollID = page.scrollID
		}
		if page.pitID != "" {
			pit = page.pitID
		}
		if page.failed > 0 {
			// A page with a failed shard lacks that shard's documents: comparing it would report them missing.
			var full scanPage
			_ = json.Unmarshal(raw, &full)
			var why []string
			for _, f := range full.Shards.Failures {
				why = append(why, fmt.Sprintf("shard %d: %s: %s", f.Shard, f.Reason.Type, f.Reason.Reason))
			}
			e := newError(s.c.cfg.Role, op, i18n.M("es.reason.shardsfailed", page.failed, full.Shards.Total, strings.Join(why, "; ")),
				i18n.M("es.fix.shardsfailed", s.index))
			e.Type = "search_phase_execution_exception"
			return e
		}
		if len(page.docs) == 0 {
			return nil
		}
		if err := fn(page.docs); err != nil {
			return err
		}
		if s.mode != ScanScroll {
			if len(page.lastSort) == 0 {
				return newError(s.c.cfg.Role, op, i18n.M("es.reason.nosort"), i18n.Msg{})
			}
			body["search_after"] = json.RawMessage(page.lastSort)
		}
	}
}

// parsedPage is what a page of documents says: its documents and where the next page starts.
type parsedPage struct {
	pitID, scrollID string
	failed          int64
	docs            []Doc
	lastSort        []byte
}

// parsePage reads a page of hits with github.com/buger/jsonparser rather than encoding/json: the page is mostly
// _source, which encoding/json scans twice (once to validate, once to decode) a byte at a time, and which the
// verification only hashes. jsonparser finds the fields and hands back _source as the raw bytes of the answer,
// as json.RawMessage did (measured: about a third of esmigrate's CPU time for the same pages).
func parsePage(raw []byte) (parsedPage, error) {
	var p parsedPage
	var perr error
	jsonparser.EachKey(raw, func(idx int, v []byte, vt jsonparser.ValueType, err error) {
		if err != nil {
			perr = err
			return
		}
		switch idx {
		case 0:
			p.pitID, perr = jsonparser.ParseString(v)
		case 1:
			p.scrollID, perr = jsonparser.ParseString(v)
		case 2:
			p.failed, perr = jsonparser.ParseInt(v)
		}
	}, []string{"pit_id"}, []string{"_scroll_id"}, []string{"_shards", "failed"})
	if perr != nil {
		return p, perr
	}
	hitPaths := [][]string{{"_id"}, {"_routing"}, {"_source"}, {"sort"}}
	_, err := jsonparser.ArrayEach(raw, func(hit []byte, vt jsonparser.ValueType, _ int, err error) {
		if err != nil || perr != nil {
			if perr == nil {
				perr = err
			}
			return
		}
		var d Doc
		var sort []byte
		jsonparser.EachKey(hit, func(idx int, v []byte, vt jsonparser.ValueType, err error) {
			if err != nil {
				perr = err
				return
			}
			switch idx {
			case 0:
				d.ID, err = jsonparser.ParseString(v)
			case 1:
				d.Routing, err = jsonparser.ParseString(v)
			case 2:
				d.Source = v
			case 3:
				sort = v
			}
			if err != nil {
				perr = err
			}
		}, hitPaths...)
		p.docs = append(p.docs, d)
		p.lastSort = sort
	}, "hits", "hits")
	if err != nil && err != jsonparser.KeyPathNotFoundError {
		return p, err
	}
	if p.lastSort != nil {
		p.lastSort = append([]byte(nil), p.lastSort...)
	}
	return p, perr
}

// doPlain is do for pages of documents, asking for an uncompressed answer: Elasticsearch gzips answers when the
// client accepts it (Go's transport asks by default), and compressing every page of every document takes the
// node more CPU than reading them (measured on 7.17: a page of 5,000 documents 0.4-0.8 s plain, 1.3-2.0 s gzip).
// The rest of the client keeps compression: its answers are small.
func (c *Client) doPlain(ctx context.Context, op i18n.Msg, req Request) ([]byte, error) {
	resp, err := c.es.PerformRequest(ctx, elastic.PerformRequestOptions{Method: req.Method, Path: req.Path, Params: req.Params,
		Body: req.Body, Headers: http.Header{"Accept-Encoding": {"identity"}}})
	if err != nil {
		return nil, c.wrap(op, err)
	}
	return resp.Body, nil
}

// Close releases the point in time (nothing for a scroll: each slice ends its own).
func (s *Scan) Close(ctx context.Context) error {
	switch {
	case s.pit == "":
		return nil
	case s.mode == ScanPIT:
		return s.c.do(ctx, i18n.M("es.op.closepit", s.index), Request{Method: "DELETE", Path: "/_pit", Body: map[string]any{"id": s.pit}}, nil, 404)
	default:
		return s.c.do(ctx, i18n.M("es.op.closepit", s.index), Request{Method: "DELETE", Path: "/_search/point_in_time",
			Body: map[string]any{"pit_id": []string{s.pit}}}, nil, 404)
	}
}

// SourceDisabled tells which of the named indices have _source disabled in their mapping: their documents'
// content cannot be read back, so it cannot be compared.
func (c *Client) SourceDisabled(ctx context.Context, indices []string) (map[string]bool, error) {
	out := map[string]bool{}
	q := params("ignore_unavailable", "true")
	for _, chunk := range pathChunks(indices, "/", "/_mapping", q) {
		var raw map[string]struct {
			Mappings map[string]json.RawMessage `json:"mappings"`
		}
		err := c.do(ctx, i18n.M("es.op.source", strings.Join(chunk, ",")), Request{Method: "GET", Path: joinedPath("/", chunk, "/_mapping"), Params: q}, &raw)
		if err != nil {
			return nil, err
		}
		for name, m := range raw {
			if sourceOff(m.Mappings["_source"]) {
				out[name] = true
				continue
			}
			// 6.x mappings are one level deeper, under the type's name.
			for k, v := range m.Mappings {
				if strings.HasPrefix(k, "_") || k == "properties" || k == "dynamic_templates" {
					continue
				}
				var typed map[string]json.RawMessage
				if json.Unmarshal(v, &typed) == nil && sourceOff(typed["_source"]) {
					out[name] = true
				}
			}
		}
	}
	return out, nil
}

func sourceOff(raw json.RawMessage) bool {
	if len(raw) == 0 {
		return false
	}
	var s struct {
		Enabled *bool `json:"enabled"`
	}
	return json.Unmarshal(raw, &s) == nil && s.Enabled != nil && !*s.Enabled
}
