package esclient

import (
	"bytes"
	"context"
	"encoding/json"
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

// RemoteSource is the cluster a _reindex from remote pulls from, as the target's nodes reach it.
type RemoteSource struct {
	Host     string // scheme://host:port
	Username string
	Password string // never shown: the curl form names PasswordEnv instead, the request log drops it
	// PasswordEnv is the shell variable the curl form names for the password (ES_SOURCE_PASSWORD by default).
	PasswordEnv string
}

// RemotePasswordMark stands in for the remote's password in a request's curl form; CurlReindex puts the shell
// variable in its place (a body quoted for the shell cannot hold a variable otherwise).
const remotePasswordMark = "\x00esmigrate-remote-password\x00"

// ReindexFromRemoteRequest asks the cluster it is sent to (the target) to pull index from the remote into dest,
// as a task (wait_for_completion=false: the task API reports progress). op_type create and conflicts proceed make
// it safe to send again after an interruption: documents already copied are kept, the others are created.
func ReindexFromRemoteRequest(remote RemoteSource, index, dest string, batchSize int) Request {
	rm := map[string]any{"host": remote.Host}
	if remote.Username != "" || remote.Password != "" {
		rm["username"], rm["password"] = remote.Username, remote.Password
	}
	if batchSize <= 0 {
		batchSize = 1000
	}
	return Request{Method: "POST", Path: "/_reindex", Params: params("wait_for_completion", "false"),
		Body: map[string]any{"conflicts": "proceed",
			"source": map[string]any{"remote": rm, "index": index, "size": batchSize},
			"dest":   map[string]any{"index": dest, "op_type": "create"}}}
}

// CurlReindex is a reindex request's curl form, with the remote's password as the shell variable
// remote.PasswordEnv (the value never appears).
func (c *Client) CurlReindex(req Request, remote RemoteSource) string {
	body, ok := req.Body.(map[string]any)
	if !ok || remote.Password == "" && remote.Username == "" {
		return c.Curl(req)
	}
	src := body["source"].(map[string]any)
	rm := map[string]any{}
	for k, v := range src["remote"].(map[string]any) {
		rm[k] = v
	}
	rm["password"] = remotePasswordMark
	nsrc := map[string]any{}
	for k, v := range src {
		nsrc[k] = v
	}
	nsrc["remote"] = rm
	nb := map[string]any{}
	for k, v := range body {
		nb[k] = v
	}
	nb["source"] = nsrc
	req.Body = nb
	env := remote.PasswordEnv
	if env == "" {
		env = "ES_SOURCE_PASSWORD"
	}
	// In the single-quoted body: close the quote, put the variable in double quotes, open it again.
	mark, _ := json.Marshal(remotePasswordMark)
	return strings.Replace(c.Curl(req), string(mark), `"'"$`+env+`"'"`, 1)
}

// redactRemotePassword takes the remote's password out of a _reindex body kept for the request log.
func redactRemotePassword(path string, body []byte) []byte {
	if !strings.HasSuffix(strings.SplitN(path, "?", 2)[0], "/_reindex") || !bytes.Contains(body, []byte(`"password"`)) {
		return body
	}
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return []byte(`{"redacted":"a _reindex body with a password"}`)
	}
	if s, ok := m["source"].(map[string]any); ok {
		if r, ok := s["remote"].(map[string]any); ok {
			if _, ok := r["password"]; ok {
				r["password"] = "<redacted>"
			}
		}
	}
	out, _ := json.Marshal(m)
	return out
}

// ReindexTask is a reindex task as the task API reports it.
type ReindexTask struct {
	Completed bool
	Total     int64 // documents the source query matched (0 until the first batch was read)
	Created   int64
	Updated   int64
	Deleted   int64
	Conflicts int64 // version conflicts: with op_type create, documents that were there already
	Noops     int64
	// Failures are the documents or searches that failed, as Elasticsearch words them; Error the task's own
	// failure (an unreachable remote, a whitelist refusal).
	Failures []string
	Error    string
}

// Copied is what the task put into the destination, or found there already.
func (t ReindexTask) Copied() int64 { return t.Created + t.Updated + t.Conflicts + t.Noops }

// StartReindex sends a request made by ReindexFromRemoteRequest and gives the task's id.
func (c *Client) StartReindex(ctx context.Context, op i18n.Msg, req Request) (string, error) {
	var out struct {
		Task string `json:"task"`
	}
	if err := c.do(ctx, op, req, &out); err != nil {
		return "", err
	}
	if out.Task == "" {
		return "", newError(c.cfg.Role, op, i18n.M("rx.notask"), i18n.Msg{})
	}
	return out.Task, nil
}

// ReindexTaskStatus reads a reindex task (GET _tasks/<id>; a finished task is kept in the .tasks index).
func (c *Client) ReindexTaskStatus(ctx context.Context, id string) (ReindexTask, error) {
	type status struct {
		Total            int64 `json:"total"`
		Created          int64 `json:"created"`
		Updated          int64 `json:"updated"`
		Deleted          int64 `json:"deleted"`
		VersionConflicts int64 `json:"version_conflicts"`
		Noops            int64 `json:"noops"`
	}
	var raw struct {
		Completed bool `json:"completed"`
		Task      struct {
			Status status `json:"status"`
		} `json:"task"`
		Response *struct {
			status
			Failures []json.RawMessage `json:"failures"`
		} `json:"response"`
		Error map[string]any `json:"error"`
	}
	if err := c.do(ctx, i18n.M("rx.op.task", id), Request{Method: "GET", Path: "/_tasks/" + id}, &raw); err != nil {
		return ReindexTask{}, err
	}
	s := raw.Task.Status
	t := ReindexTask{Completed: raw.Completed}
	if raw.Response != nil {
		s = raw.Response.status
		for _, f := range raw.Response.Failures {
			t.Failures = append(t.Failures, string(bytes.TrimSpace(f)))
		}
	}
	t.Total, t.Created, t.Updated, t.Deleted, t.Conflicts, t.Noops = s.Total, s.Created, s.Updated, s.Deleted, s.VersionConflicts, s.Noops
	if raw.Error != nil {
		b, _ := json.Marshal(map[string]any{"error": raw.Error})
		t.Error = answerText(b)
	}
	return t, nil
}

// IndexDefinition is what an index is made of besides its documents, as a reindexed copy gets it.
type IndexDefinition struct {
	Settings map[string]any // index settings, flat keys without the "index." prefix
	Mappings map[string]any // typeless (a 6.x index's single type unwrapped)
	Aliases  map[string]any
}

// IndexDefinitionOf reads an index's settings, mappings and aliases (GET <index>; a read).
func (c *Client) IndexDefinitionOf(ctx context.Context, index string) (IndexDefinition, error) {
	var raw map[string]struct {
		Settings map[string]any `json:"settings"`
		Mappings map[string]any `json:"mappings"`
		Aliases  map[string]any `json:"aliases"`
	}
	if err := c.do(ctx, i18n.M("rx.op.definition", index), Request{Method: "GET", Path: "/" + index,
		Params: params("flat_settings", "true")}, &raw); err != nil {
		return IndexDefinition{}, err
	}
	d, ok := raw[index]
	if !ok {
		for _, v := range raw { // an alias or a renamed answer: the one index it names
			d = v
		}
	}
	set := map[string]any{}
	for k, v := range d.Settings {
		set[strings.TrimPrefix(k, "index.")] = v
	}
	return IndexDefinition{Settings: set, Mappings: TypelessMapping(d.Mappings), Aliases: d.Aliases}, nil
}

// mappingRoots are the keys a typeless mapping has at its top; anything else alone at the top is a type name
// (an index created by 6.x, or read with include_type_name).
var mappingRoots = map[string]bool{"properties": true, "dynamic": true, "_source": true, "_meta": true, "dynamic_templates": true,
	"_routing": true, "date_detection": true, "numeric_detection": true, "dynamic_date_formats": true, "_field_names": true,
	"_all": true, "_size": true, "enabled": true, "runtime": true, "_data_stream_timestamp": true}

// TypelessMapping unwraps a 6.x index's single mapping type and drops _all, which 7.x and later refuse.
func TypelessMapping(m map[string]any) map[string]any {
	if len(m) == 1 {
		for k, v := range m {
			if inner, ok := v.(map[string]any); ok && !mappingRoots[k] {
				m = inner
			}
		}
	}
	out := map[string]any{}
	for k, v := range m {
		if k != "_all" {
			out[k] = v
		}
	}
	return out
}

// CreateIndexRequest creates an index with settings (flat keys without "index."), mappings and aliases.
func CreateIndexRequest(index string, settings, mappings, aliases map[string]any) Request {
	body := map[string]any{}
	if len(settings) > 0 {
		s := map[string]any{}
		for k, v := range settings {
			s["index."+k] = v
		}
		body["settings"] = s
	}
	if len(mappings) > 0 {
		body["mappings"] = mappings
	}
	if len(aliases) > 0 {
		body["aliases"] = aliases
	}
	return Request{Method: "PUT", Path: "/" + index, Body: body}
}
