package esclient

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/esmigrate/esmigrate/i18n"
)

// ReindexSupport is what a target needs to pull indices from a remote cluster with _reindex: the reindex module,
// and reindex.remote.whitelist on every node naming the source's host:port.
type ReindexSupport struct {
	// Module: the cluster routes POST _reindex. Found with a read: GET /_reindex answers 405 "allowed: [POST]"
	// where the module's route exists; without the module the path is read as an index name (invalid_index_name,
	// as on the 8.19 runner, whose POST _reindex answers 405 allowing only GET, PUT, DELETE, HEAD).
	Module bool `json:"module"`
	// Evidence is the cluster's answer to that read, for the operator.
	Evidence i18n.Msg `json:"evidence"`
	// Whitelist is each node's reindex.remote.whitelist, or reindex.remote.allowlist on OpenSearch 2 (node name →
	// entries; empty when unset).
	Whitelist map[string][]string `json:"whitelist"`
}

// ReindexSupport reads whether the cluster can reindex from a remote, and from where. Reads only.
func (c *Client) ReindexSupport(ctx context.Context) (ReindexSupport, error) {
	var rs ReindexSupport
	status, body, err := c.getOptional(ctx, i18n.M("es.op.reindexmodule"), Request{Method: "GET", Path: "/_reindex"})
	if err != nil {
		var e *Error
		if !errors.As(err, &e) || e.Status != 400 {
			return rs, err
		}
		// invalid_index_name_exception: the path was read as an index name
		rs.Evidence = answered("GET /_reindex", i18n.Name("400 ("+e.Type+": "+e.Reason+")"))
	} else {
		text := answerText(body)
		rs.Module = status == 405 && strings.Contains(text, "allowed: [POST]")
		rs.Evidence = answered("GET /_reindex", i18n.Name(strconv.Itoa(status)+" ("+text+")"))
	}
	var raw struct {
		Nodes map[string]struct {
			Name     string         `json:"name"`
			Settings map[string]any `json:"settings"`
		} `json:"nodes"`
	}
	if err := c.do(ctx, i18n.M("es.op.whitelist"), Request{Method: "GET", Path: "/_nodes/settings",
		Params: params("filter_path", "nodes.*.name,nodes.*.settings.reindex")}, &raw); err != nil {
		return rs, err
	}
	rs.Whitelist = map[string][]string{}
	for _, n := range raw.Nodes {
		var list []string
		if r, ok := n.Settings["reindex"].(map[string]any); ok {
			if rm, ok := r["remote"].(map[string]any); ok {
				// OpenSearch 2 calls it reindex.remote.allowlist and still reads the old name.
				list = append(stringList(rm["whitelist"]), stringList(rm["allowlist"])...)
			}
		}
		rs.Whitelist[n.Name] = list
	}
	return rs, nil
}
