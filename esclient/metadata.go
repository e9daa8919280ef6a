package esclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/olivere/elastic/v7"

	"github.com/esmigrate/esmigrate/i18n"
)

// Metadata beyond the indices: templates, pipelines, lifecycle policies and stored scripts, listed from a cluster
// and put on another one item by item through each item's own API. Never through include_global_state, which
// replaces the target's templates, pipelines, policies and even its license wholesale (elastic/elasticsearch
// #73226, #57067, #87485).

// MetaKind is a kind of metadata item.
type MetaKind string

// The kinds, named as in the plan file ("index_template/logs").
const (
	MetaLegacyTemplate    MetaKind = "legacy_template"    // _template (every version)
	MetaIndexTemplate     MetaKind = "index_template"     // _index_template (composable, Elasticsearch 7.8+, OpenSearch)
	MetaComponentTemplate MetaKind = "component_template" // _component_template (7.8+, OpenSearch)
	MetaPipeline          MetaKind = "ingest_pipeline"    // _ingest/pipeline
	MetaILMPolicy         MetaKind = "ilm_policy"         // _ilm/policy (Elasticsearch with x-pack, basic license)
	MetaISMPolicy         MetaKind = "ism_policy"         // _plugins/_ism/policies (OpenSearch with the ISM plugin)
	MetaStoredScript      MetaKind = "stored_script"      // _scripts (listed from the cluster state)
)

// MetaKinds lists the kinds in the order they are copied: what is named comes before what names it (a pipeline
// names a stored script; a template names a pipeline and a policy; a composable template names its component
// templates, which the target checks when the template is put).
var MetaKinds = []MetaKind{MetaStoredScript, MetaPipeline, MetaILMPolicy, MetaISMPolicy, MetaComponentTemplate,
	MetaIndexTemplate, MetaLegacyTemplate}

// Title is the kind in words, for screens and reports.
func (k MetaKind) Title() string {
	switch k {
	case MetaLegacyTemplate:
		return "legacy index template"
	case MetaIndexTemplate:
		return "index template"
	case MetaComponentTemplate:
		return "component template"
	case MetaPipeline:
		return "ingest pipeline"
	case MetaILMPolicy:
		return "ILM policy"
	case MetaISMPolicy:
		return "ISM policy"
	case MetaStoredScript:
		return "stored script"
	}
	return string(k)
}

// TitleMsg is Title as a message; PluralMsg names several items of the kind.
func (k MetaKind) TitleMsg() i18n.Msg  { return i18n.M("meta.kind." + string(k)) }
func (k MetaKind) PluralMsg() i18n.Msg { return i18n.M("meta.kinds." + string(k)) }

// ParseMetaKind reads a kind as the plan file writes it.
func ParseMetaKind(s string) (MetaKind, bool) {
	for _, k := range MetaKinds {
		if string(k) == s {
			return k, true
		}
	}
	return "", false
}

// MetaItem is one item: its kind, its name, and its body as the kind's PUT API takes it (read-only fields such
// as an ILM policy's version and modified_date are left out, so that two clusters' copies compare equal).
type MetaItem struct {
	Kind MetaKind       `json:"kind"`
	Name string         `json:"name"`
	Body map[string]any `json:"body"`
	// SeqNo and PrimaryTerm are an ISM policy's concurrency control: OpenSearch overwrites a policy only when
	// they are given (if_seq_no, if_primary_term).
	SeqNo       *int64 `json:"seq_no,omitempty"`
	PrimaryTerm *int64 `json:"primary_term,omitempty"`
}

// ID is "kind/name", as the plan file names an item.
func (i MetaItem) ID() string { return string(i.Kind) + "/" + i.Name }

// MetaListing is what a cluster holds, and which kinds it cannot say anything about (no such API there).
type MetaListing struct {
	Items []MetaItem `json:"items"`
	// Unavailable says, per kind, why the cluster has none of it: "GET _ilm/policy answered 405 ...".
	Unavailable map[MetaKind]i18n.Msg `json:"unavailable,omitempty"`
}

// Find returns the item of that kind and name.
func (l MetaListing) Find(kind MetaKind, name string) (MetaItem, bool) {
	for _, it := range l.Items {
		if it.Kind == kind && it.Name == name {
			return it, true
		}
	}
	return MetaItem{}, false
}

// Metadata lists every item of every kind the cluster has. distribution (Info.Distribution) decides between ILM
// (Elasticsearch) and ISM (OpenSearch): asking the other one's API would be read as a document or index request.
// A kind the cluster has no API for (no x-pack, no ISM plugin, a version before composable templates) is recorded
// in Unavailable with the cluster's own answer; any other failure is an error.
func (c *Client) Metadata(ctx context.Context, distribution string) (MetaListing, error) {
	l := MetaListing{Unavailable: map[MetaKind]i18n.Msg{}}
	kinds := []MetaKind{MetaLegacyTemplate, MetaIndexTemplate, MetaComponentTemplate, MetaPipeline, MetaStoredScript}
	if distribution == OpenSearch {
		kinds = append(kinds, MetaISMPolicy)
		l.Unavailable[MetaILMPolicy] = i18n.M("es.meta.noilm")
	} else {
		kinds = append(kinds, MetaILMPolicy)
		l.Unavailable[MetaISMPolicy] = i18n.M("es.meta.noism")
	}
	for _, k := range kinds {
		items, err := c.MetaItems(ctx, k)
		var na *UnavailableError
		switch {
		case errors.As(err, &na):
			l.Unavailable[k] = na.Reason
		case err != nil:
			return l, err
		default:
			l.Items = append(l.Items, items...)
		}
	}
	sort.Slice(l.Items, func(i, j int) bool {
		if l.Items[i].Kind != l.Items[j].Kind {
			return kindOrder(l.Items[i].Kind) < kindOrder(l.Items[j].Kind)
		}
		return l.Items[i].Name < l.Items[j].Name
	})
	return l, nil
}

func kindOrder(k MetaKind) int {
	for i, x := range MetaKinds {
		if x == k {
			return i
		}
	}
	return len(MetaKinds)
}

// UnavailableError says that a cluster has no API for a kind of item.
type UnavailableError struct {
	Kind   MetaKind
	Reason i18n.Msg
}

func (e *UnavailableError) Error() string { return e.Localize().String() }

// Localize is the error as a message.
func (e *UnavailableError) Localize() i18n.Msg {
	return i18n.Join("list.colon", e.Kind.TitleMsg(), e.Reason)
}

// answered is the reason of an UnavailableError: what the cluster answered to a request.
func answered(request string, why i18n.Msg) i18n.Msg { return i18n.M("es.meta.answered", request, why) }

// listPath is where each kind is listed.
func listPath(k MetaKind) (string, url.Values) {
	switch k {
	case MetaLegacyTemplate:
		return "/_template", nil
	case MetaIndexTemplate:
		return "/_index_template", nil
	case MetaComponentTemplate:
		return "/_component_template", nil
	case MetaPipeline:
		return "/_ingest/pipeline", nil
	case MetaILMPolicy:
		return "/_ilm/policy", nil
	case MetaISMPolicy:
		return "/_plugins/_ism/policies", nil
	case MetaStoredScript:
		// GET _scripts lists nothing: stored scripts are read from the cluster state's metadata.
		return "/_cluster/state/metadata", params("filter_path", "metadata.stored_scripts")
	}
	return "", nil
}

// MetaItems lists the items of one kind.
func (c *Client) MetaItems(ctx context.Context, k MetaKind) ([]MetaItem, error) {
	path, q := listPath(k)
	if path == "" {
		return nil, fmt.Errorf("unknown kind %q", k)
	}
	op := i18n.M("es.op.listmeta", k.PluralMsg())
	if k == MetaISMPolicy {
		return c.ismPolicies(ctx, op)
	}
	status, raw, err := c.getOptional(ctx, op, Request{Method: "GET", Path: path, Params: q})
	if err != nil {
		return nil, err
	}
	if why, ok := unavailable(status, raw); ok {
		return nil, &UnavailableError{Kind: k, Reason: answered("GET "+path, why)}
	}
	if status == 404 {
		// An empty listing is a 404 for some kinds: GET _ingest/pipeline answers 404 {} when there is none (all
		// four test runners).
		return nil, nil
	}
	return parseMetaItems(k, raw)
}

// getOptional sends a read whose 400, 404 and 405 answers are information rather than failures (an API the
// cluster does not have, an empty listing), and returns the status and body of those.
func (c *Client) getOptional(ctx context.Context, op i18n.Msg, req Request) (int, []byte, error) {
	resp, err := c.es.PerformRequest(ctx, elastic.PerformRequestOptions{Method: req.Method, Path: req.Path, Params: req.Params,
		IgnoreErrors: []int{400, 404, 405}})
	if err != nil {
		return 0, nil, c.wrap(op, err)
	}
	if resp.StatusCode == 400 {
		// A 400 other than "no handler" is a real failure: give it the usual error.
		if _, ok := unavailable(400, resp.Body); !ok {
			return 0, nil, c.wrap(op, &elastic.Error{Status: 400, Details: errorDetails(resp.Body)})
		}
	}
	return resp.StatusCode, resp.Body, nil
}

func errorDetails(body []byte) *elastic.ErrorDetails {
	var e struct {
		Error *elastic.ErrorDetails `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != nil {
		return e.Error
	}
	return &elastic.ErrorDetails{Reason: strings.TrimSpace(string(body))}
}

// unavailable tells from an answer whether the cluster has no such API: 405 (a route for another method
// matched, as Elasticsearch without x-pack answers GET _ilm/policy: "Incorrect HTTP method for uri"), 400 "no
// handler found" (OpenSearch), or the path read as an index name (404 "no such index [_plugins]").
func unavailable(status int, body []byte) (i18n.Msg, bool) {
	text := answerText(body)
	switch {
	case status == 405:
		return i18n.Name("405 (" + text + ")"), true
	case status == 400 && strings.Contains(text, "no handler found"):
		return i18n.Name("400 (" + text + ")"), true
	case status == 404 && strings.Contains(text, "index_not_found_exception") && strings.Contains(text, "no such index [_"):
		return i18n.M("es.meta.asindex"), true
	}
	return i18n.Msg{}, false
}

// answerText is an error answer's reason: {"error":"text"} or {"error":{"reason":...}}.
func answerText(body []byte) string {
	var e struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && len(e.Error) > 0 {
		var s string
		if json.Unmarshal(e.Error, &s) == nil {
			return s
		}
		var d struct {
			Type   string `json:"type"`
			Reason string `json:"reason"`
		}
		if json.Unmarshal(e.Error, &d) == nil && d.Type != "" {
			return d.Type + ": " + d.Reason
		}
	}
	return strings.TrimSpace(string(body))
}

// parseMetaItems reads a listing answer of one kind. Exported through ParseMetaListing for recorded answers.
func parseMetaItems(k MetaKind, raw []byte) ([]MetaItem, error) {
	var out []MetaItem
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	dec := func(v any) error {
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber() // keep numbers as written, so that comparisons and bodies do not turn 1 into 1.0
		return d.Decode(v)
	}
	switch k {
	case MetaLegacyTemplate, MetaPipeline:
		var m map[string]map[string]any
		if err := dec(&m); err != nil {
			return nil, err
		}
		for name, body := range m {
			out = append(out, MetaItem{Kind: k, Name: name, Body: body})
		}
	case MetaIndexTemplate, MetaComponentTemplate:
		list, field := "index_templates", "index_template"
		if k == MetaComponentTemplate {
			list, field = "component_templates", "component_template"
		}
		var m map[string][]map[string]any
		if err := dec(&m); err != nil {
			return nil, err
		}
		for _, e := range m[list] {
			name, _ := e["name"].(string)
			body, _ := e[field].(map[string]any)
			out = append(out, MetaItem{Kind: k, Name: name, Body: body})
		}
	case MetaILMPolicy:
		var m map[string]struct {
			Policy map[string]any `json:"policy"`
		}
		if err := dec(&m); err != nil {
			return nil, err
		}
		for name, p := range m {
			out = append(out, MetaItem{Kind: k, Name: name, Body: map[string]any{"policy": p.Policy}})
		}
	case MetaStoredScript:
		var m struct {
			Metadata struct {
				StoredScripts map[string]map[string]any `json:"stored_scripts"`
			} `json:"metadata"`
		}
		if err := dec(&m); err != nil {
			return nil, err
		}
		for id, s := range m.Metadata.StoredScripts {
			out = append(out, MetaItem{Kind: k, Name: id, Body: map[string]any{"script": s}})
		}
	case MetaISMPolicy:
		var m struct {
			Policies []struct {
				ID          string         `json:"_id"`
				SeqNo       *int64         `json:"_seq_no"`
				PrimaryTerm *int64         `json:"_primary_term"`
				Policy      map[string]any `json:"policy"`
			} `json:"policies"`
		}
		if err := dec(&m); err != nil {
			return nil, err
		}
		for _, p := range m.Policies {
			out = append(out, MetaItem{Kind: k, Name: p.ID, Body: map[string]any{"policy": ismPolicyBody(p.Policy)},
				SeqNo: p.SeqNo, PrimaryTerm: p.PrimaryTerm})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// ParseMetaListing reads a recorded listing answer of one kind (the answer of the path MetaItems asks).
func ParseMetaListing(k MetaKind, raw []byte) ([]MetaItem, error) { return parseMetaItems(k, raw) }

// ismPolicyBody keeps what PUT _plugins/_ism/policies takes: the id, timestamps and schema version are the
// cluster's own bookkeeping (OpenSearch documents them as read-only fields of the answer).
func ismPolicyBody(p map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range p {
		switch k {
		case "policy_id", "last_updated_time", "schema_version", "user":
			continue
		case "ism_template":
			out[k] = stripKeys(v, "last_updated_time")
		default:
			out[k] = v
		}
	}
	return out
}

func stripKeys(v any, keys ...string) any {
	switch t := v.(type) {
	case map[string]any:
		m := map[string]any{}
		for k, x := range t {
			skip := false
			for _, s := range keys {
				skip = skip || k == s
			}
			if !skip {
				m[k] = stripKeys(x, keys...)
			}
		}
		return m
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = stripKeys(x, keys...)
		}
		return out
	}
	return v
}

// ismPageSize: the ISM list API answers 20 policies unless asked for more.
const ismPageSize = 500

func (c *Client) ismPolicies(ctx context.Context, op i18n.Msg) ([]MetaItem, error) {
	var out []MetaItem
	for from := 0; ; from += ismPageSize {
		q := params("size", strconv.Itoa(ismPageSize), "from", strconv.Itoa(from), "sortField", "policy.policy_id.keyword")
		status, raw, err := c.getOptional(ctx, op, Request{Method: "GET", Path: "/_plugins/_ism/policies", Params: q})
		if err != nil {
			return nil, err
		}
		if why, ok := unavailable(status, raw); ok {
			return nil, &UnavailableError{Kind: MetaISMPolicy, Reason: answered("GET /_plugins/_ism/policies", why)}
		}
		if status == 404 { // no policy yet: the config index does not exist
			return out, nil
		}
		page, err := parseMetaItems(MetaISMPolicy, raw)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < ismPageSize {
			return out, nil
		}
	}
}

// PutMetaRequest describes putting one item on a cluster. Without overwrite, the request refuses to replace an
// item of the same name where the API can say so (create=true for templates; ISM creates only without
// if_seq_no); pipelines, policies and scripts have no such parameter, so the engine compares before it writes.
// With overwrite, an ISM policy needs the target's sequence number and primary term (from the target's item).
func PutMetaRequest(it MetaItem, overwrite bool, target *MetaItem) Request {
	name := url.PathEscape(it.Name)
	q := url.Values{}
	var path string
	switch it.Kind {
	case MetaLegacyTemplate:
		path = "/_template/" + name
	case MetaIndexTemplate:
		path = "/_index_template/" + name
	case MetaComponentTemplate:
		path = "/_component_template/" + name
	case MetaPipeline:
		path = "/_ingest/pipeline/" + name
	case MetaILMPolicy:
		path = "/_ilm/policy/" + name
	case MetaISMPolicy:
		path = "/_plugins/_ism/policies/" + name
		if overwrite && target != nil && target.SeqNo != nil && target.PrimaryTerm != nil {
			q.Set("if_seq_no", strconv.FormatInt(*target.SeqNo, 10))
			q.Set("if_primary_term", strconv.FormatInt(*target.PrimaryTerm, 10))
		}
	case MetaStoredScript:
		path = "/_scripts/" + name
	}
	switch it.Kind {
	case MetaLegacyTemplate, MetaIndexTemplate, MetaComponentTemplate:
		if !overwrite {
			q.Set("create", "true")
		}
	}
	if len(q) == 0 {
		q = nil
	}
	return Request{Method: "PUT", Path: path, Params: q, Body: it.Body}
}

// PutMeta puts one item (see PutMetaRequest). Target only: a read-only client refuses it.
func (c *Client) PutMeta(ctx context.Context, it MetaItem, overwrite bool, target *MetaItem) error {
	return c.do(ctx, i18n.M("es.op.putmeta", it.Kind.TitleMsg(), it.Name), PutMetaRequest(it, overwrite, target), nil)
}

// DeleteMetaRequest describes deleting one item (tests clean up with it; the engine never deletes metadata).
func DeleteMetaRequest(k MetaKind, name string) Request {
	path, _ := listPath(k)
	if k == MetaStoredScript {
		path = "/_scripts"
	}
	return Request{Method: "DELETE", Path: path + "/" + url.PathEscape(name)}
}

// ILM status and the lifecycle of indices, for the lifecycle pre-flight.

// ILMStatus is the operation mode of ILM on a cluster: RUNNING, STOPPING or STOPPED. A cluster without ILM gives
// an *UnavailableError.
func (c *Client) ILMStatus(ctx context.Context) (string, error) {
	var raw struct {
		Mode string `json:"operation_mode"`
	}
	status, body, err := c.getOptional(ctx, i18n.M("es.op.ilmstatus"), Request{Method: "GET", Path: "/_ilm/status"})
	if err != nil {
		return "", err
	}
	if why, ok := unavailable(status, body); ok || status == 404 {
		if !ok {
			why = i18n.Name("404 (" + answerText(body) + ")")
		}
		return "", &UnavailableError{Kind: MetaILMPolicy, Reason: answered("GET /_ilm/status", why)}
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		e := newError(c.cfg.Role, i18n.M("es.op.ilmstatus"), i18n.M("es.reason.unexpected", err.Error()), i18n.Msg{})
		e.Status, e.Err = status, err
		return "", e
	}
	return raw.Mode, nil
}

// StopILMRequest pauses ILM on a cluster: no policy runs until POST _ilm/start (SLM stops with it). Elastic's
// documented way to restore managed indices without ILM acting on them at once.
func StopILMRequest() Request { return Request{Method: "POST", Path: "/_ilm/stop"} }

// StartILMRequest resumes ILM.
func StartILMRequest() Request { return Request{Method: "POST", Path: "/_ilm/start"} }

// ILMExplain is one index's lifecycle state (GET <index>/_ilm/explain).
type ILMExplain struct {
	Index        string `json:"index"`
	Managed      bool   `json:"managed"`
	Policy       string `json:"policy,omitempty"`
	LifecycleMS  int64  `json:"lifecycle_date_millis,omitempty"` // what min_age counts from: creation, rollover or origination date
	Phase        string `json:"phase,omitempty"`
	Action       string `json:"action,omitempty"`
	Step         string `json:"step,omitempty"`
	FailedStep   string `json:"failed_step,omitempty"`
	CreationMS   int64  `json:"index_creation_date_millis,omitempty"`
	PhaseTimeMS  int64  `json:"phase_time_millis,omitempty"`
	StepInfoText string `json:"step_info_text,omitempty"`
	// PhaseDefinition is the definition of the current phase as ILM loaded it when the index entered the phase
	// (phase_execution.phase_definition): ILM runs this one, whatever the policy says now.
	PhaseDefinition map[string]any `json:"phase_definition,omitempty"`
}

// ParseILMExplain reads an explain answer.
func ParseILMExplain(raw []byte) (map[string]ILMExplain, error) {
	var m struct {
		Indices map[string]struct {
			ILMExplain
			StepInfo       map[string]any `json:"step_info"`
			PhaseExecution struct {
				PhaseDefinition map[string]any `json:"phase_definition"`
			} `json:"phase_execution"`
		} `json:"indices"`
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	out := map[string]ILMExplain{}
	for name, e := range m.Indices {
		x := e.ILMExplain
		x.PhaseDefinition = e.PhaseExecution.PhaseDefinition
		if x.Index == "" {
			x.Index = name
		}
		if r, ok := e.StepInfo["reason"].(string); ok {
			x.StepInfoText = r
		} else if r, ok := e.StepInfo["message"].(string); ok {
			x.StepInfoText = r
		}
		out[name] = x
	}
	return out, nil
}

// ExplainLifecycle reads the lifecycle state of indices, in as many requests as the request line needs. A cluster
// without ILM gives an *UnavailableError.
func (c *Client) ExplainLifecycle(ctx context.Context, indices []string) (map[string]ILMExplain, error) {
	out := map[string]ILMExplain{}
	for _, chunk := range pathChunks(indices, "/", "/_ilm/explain", nil) {
		path := joinedPath("/", chunk, "/_ilm/explain")
		status, raw, err := c.getOptional(ctx, i18n.M("es.op.ilmexplain"), Request{Method: "GET", Path: path})
		if err != nil {
			return nil, err
		}
		why, ok := unavailable(status, raw)
		if !ok && status == 404 && bytes.Contains(raw, []byte(`"_type":"_ilm"`)) {
			// Elasticsearch 7 without x-pack reads <index>/_ilm/explain as a document (type _ilm, id explain).
			why, ok = i18n.M("es.meta.asdoc"), true
		}
		if ok {
			return nil, &UnavailableError{Kind: MetaILMPolicy, Reason: answered("GET <index>/_ilm/explain", why)}
		}
		if status == 404 {
			return nil, c.wrap(i18n.M("es.op.ilmexplain"), &elastic.Error{Status: 404, Details: errorDetails(raw)})
		}
		m, err := ParseILMExplain(raw)
		if err != nil {
			return nil, err
		}
		for k, v := range m {
			out[k] = v
		}
	}
	return out, nil
}

// IndexSettingsNamed returns the named settings (wildcards allowed: "index.lifecycle.*") of indices, flat, as
// text, in as many requests as the request line needs: the metadata and lifecycle checks need a few settings of
// each index, not their mappings.
func (c *Client) IndexSettingsNamed(ctx context.Context, indices []string, names ...string) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	if len(indices) == 0 {
		return out, nil
	}
	suffix := "/_settings/" + strings.Join(names, ",")
	q := params("flat_settings", "true", "expand_wildcards", "all", "ignore_unavailable", "true", "allow_no_indices", "true")
	for _, chunk := range pathChunks(indices, "/", suffix, q) {
		var raw map[string]struct {
			Settings map[string]any `json:"settings"`
		}
		if err := c.do(ctx, i18n.M("es.op.indexsettings"), Request{Method: "GET", Path: joinedPath("/", chunk, suffix), Params: q}, &raw); err != nil {
			return nil, err
		}
		for name, s := range raw {
			out[name] = flatSettings(s.Settings)
		}
	}
	return out, nil
}
