package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/i18n"
)

// The metadata step: templates, pipelines, lifecycle policies and stored scripts, listed on the source, compared
// with the target and copied item by item through their own APIs (never include_global_state, which replaces the
// target's templates, pipelines, policies and license wholesale). What the selected indices use is chosen by
// default; the operator adds or leaves out items by name; an item that differs on the target is skipped unless
// the plan says overwrite and the operator confirmed it.

// PhaseMetadata is the metadata step's phase in events.
const PhaseMetadata Phase = "metadata"

// MetadataPlan is the plan file's metadata section. Its zero value is the default (nothing copied), so that a
// plan written before this section existed keeps its meaning and its hash.
type MetadataPlan struct {
	// Copy turns the step on: the items the selected indices use, plus Include, minus Exclude.
	Copy bool `yaml:"copy" json:"copy"`
	// Include adds items by "kind/name"; the name may hold * wildcards, the kind may be * (every kind).
	Include []string `yaml:"include,omitempty" json:"include,omitempty"`
	// Exclude leaves items out, in the same form; it wins over Include and over use.
	Exclude []string `yaml:"exclude,omitempty" json:"exclude,omitempty"`
	// OnConflict is what happens to an item that exists on the target with other content: skip (default), or
	// overwrite, which also needs the operator's typed confirmation (the wizard asks; headless:
	// --allow-metadata-overwrite).
	OnConflict string `yaml:"on_conflict,omitempty" json:"on_conflict,omitempty"`
}

// Metadata conflict policies.
const (
	MetaConflictSkip      = "skip"
	MetaConflictOverwrite = "overwrite"
)

// validate checks the plan's metadata section; Plan.Validate calls it.
func (m MetadataPlan) validate() error {
	for field, list := range map[string][]string{"metadata.include": m.Include, "metadata.exclude": m.Exclude} {
		for _, s := range list {
			if err := validMetaPattern(s); err != nil {
				return planErr(field, i18n.MsgOf(err))
			}
		}
	}
	switch m.OnConflict {
	case "", MetaConflictSkip, MetaConflictOverwrite:
	default:
		return planErr("metadata.on_conflict", i18n.M("plan.meta.onconflict", m.OnConflict))
	}
	return nil
}

func validMetaPattern(s string) error {
	kind, name, ok := strings.Cut(s, "/")
	if !ok || name == "" {
		return fmt.Errorf("%q is not kind/name (e.g. index_template/logs, ingest_pipeline/*)", s)
	}
	if _, known := esclient.ParseMetaKind(kind); !known && kind != "*" {
		var kinds []string
		for _, k := range esclient.MetaKinds {
			kinds = append(kinds, string(k))
		}
		return fmt.Errorf("%q: unknown kind %q (use one of %s, or *)", s, kind, strings.Join(kinds, ", "))
	}
	return nil
}

func metaPatternMatches(pattern string, kind esclient.MetaKind, name string) bool {
	k, n, _ := strings.Cut(pattern, "/")
	return (k == "*" || k == string(kind)) && simpleMatch(n, name)
}

// simpleMatch is Elasticsearch's wildcard matching of index patterns (Regex.simpleMatch): only * is special, it
// matches any run of characters. Written here because path.Match and filepath.Match also treat ?, [ and \ as
// special, which Elasticsearch does not.
func simpleMatch(pattern, s string) bool {
	if !strings.Contains(pattern, "*") {
		return pattern == s
	}
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, last)
}

// Item states against the target.
const (
	MetaAbsent      = "absent"       // not on the target: it will be created
	MetaIdentical   = "identical"    // the same on the target: nothing to do
	MetaDifferent   = "different"    // on the target with other content: a conflict
	MetaNotCopyable = "not_copyable" // the target has no API for it, or it has no documented equivalent there
)

// MetadataEntry is one item of the source, what uses it, and how it compares with the target.
type MetadataEntry struct {
	Kind esclient.MetaKind `json:"kind"`
	Name string            `json:"name"`
	// UsedBy says which selected indices (or which other used items) need it: "logs-2024.01.01
	// (index.default_pipeline)". Empty: nothing selected uses it.
	UsedBy []string `json:"used_by,omitempty"`
	// Builtin says why the item belongs to the source cluster itself (a dot name, _meta.managed): such items
	// are not chosen by default, the target has its own.
	Builtin  string `json:"builtin,omitempty"`
	Selected bool   `json:"selected"`
	Why      string `json:"why"` // why it is selected or not, in words
	State    string `json:"state"`
	// Diff lists the differences with the target's item, one line per field (MetaDifferent only).
	Diff []string `json:"diff,omitempty"`
	// Notes say what the translation for the target changed or left out, and why.
	Notes []string `json:"notes,omitempty"`
	// NotCopyable says why the item cannot go to this target (MetaNotCopyable only).
	NotCopyable string `json:"not_copyable,omitempty"`

	Source esclient.MetaItem  `json:"-"` // as on the source
	Put    esclient.MetaItem  `json:"-"` // as it will be put on the target (translated)
	Target *esclient.MetaItem `json:"-"` // the target's item of that name, if any
}

// ID is "kind/name".
func (m MetadataEntry) ID() string { return string(m.Kind) + "/" + m.Name }

// MetadataInventory is everything the metadata step knows: each source item, and what the clusters cannot list.
type MetadataInventory struct {
	Source  Product         `json:"source"`
	Target  Product         `json:"target"`
	Entries []MetadataEntry `json:"entries"`
	// SourceUnavailable and TargetUnavailable say which kinds a cluster has no API for, with its answer.
	SourceUnavailable map[esclient.MetaKind]i18n.Msg `json:"source_unavailable,omitempty"`
	TargetUnavailable map[esclient.MetaKind]i18n.Msg `json:"target_unavailable,omitempty"`
}

// Selected lists the chosen entries in copy order.
func (inv *MetadataInventory) Selected() []MetadataEntry {
	var out []MetadataEntry
	for _, e := range inv.Entries {
		if e.Selected {
			out = append(out, e)
		}
	}
	return out
}

// Entry finds an entry.
func (inv *MetadataInventory) Entry(kind esclient.MetaKind, name string) (MetadataEntry, bool) {
	for _, e := range inv.Entries {
		if e.Kind == kind && e.Name == name {
			return e, true
		}
	}
	return MetadataEntry{}, false
}

// IndexUse is what the metadata step needs to know of a selected index: its name (and its data stream's, if it
// is a backing index) and its flat settings.
type IndexUse struct {
	Name       string
	DataStream string
	Settings   map[string]string
}

// InspectMetadata lists the metadata of both clusters and builds the inventory for the selected indices. It only
// reads (the source through its guard).
func (e *Engine) InspectMetadata(ctx context.Context, src, dst ClusterSummary, sel Selection) (*MetadataInventory, error) {
	srcList, err := e.src.Metadata(ctx, src.Info.Distribution)
	if err != nil {
		return nil, err
	}
	dstList, err := e.dst.Metadata(ctx, dst.Info.Distribution)
	if err != nil {
		return nil, err
	}
	settings, err := e.src.IndexSettingsNamed(ctx, namesOf(sel.Indices), "index.default_pipeline", "index.final_pipeline",
		"index.lifecycle.name", "index.plugins.index_state_management.policy_id", "index.opendistro.index_state_management.policy_id")
	if err != nil {
		return nil, err
	}
	var uses []IndexUse
	for _, ix := range sel.Indices {
		uses = append(uses, IndexUse{Name: ix.Name, DataStream: ix.DataStream, Settings: settings[ix.Name]})
	}
	return BuildMetadataInventory(srcList, dstList, src.Product(), dst.Product(), uses, e.plan.Metadata), nil
}

// BuildMetadataInventory decides, without any request, what each source item is used by, whether it is chosen,
// how it translates for the target and how it compares with the target's item.
func BuildMetadataInventory(srcList, dstList esclient.MetaListing, src, dst Product, uses []IndexUse, mp MetadataPlan) *MetadataInventory {
	inv := &MetadataInventory{Source: src, Target: dst, SourceUnavailable: srcList.Unavailable, TargetUnavailable: dstList.Unavailable}
	used := usedItems(srcList, src, uses)
	for _, it := range srcList.Items {
		en := MetadataEntry{Kind: it.Kind, Name: it.Name, Source: it, UsedBy: used[it.ID()], Builtin: builtinReason(it)}
		switch {
		case matchesAny(mp.Exclude, it):
			en.Why = "left out by metadata.exclude"
		case matchesAny(mp.Include, it):
			en.Selected, en.Why = true, "named in metadata.include"
		case len(en.UsedBy) > 0 && en.Builtin != "":
			en.Why = "used, but built in: " + en.Builtin + "; the target has its own (name it in metadata.include to copy it anyway)"
		case len(en.UsedBy) > 0:
			en.Selected, en.Why = true, "used by the selected indices"
		case en.Builtin != "":
			en.Why = "built in: " + en.Builtin
		default:
			en.Why = "not used by the selected indices"
		}
		put, notes, refusal := TranslateMeta(it, src, dst)
		en.Put, en.Notes = put, notes
		if why, ok := dstList.Unavailable[it.Kind]; ok && refusal == "" {
			refusal = fmt.Sprintf("the target (%s) has no %s API: %s", dst, it.Kind.Title(), why.String())
		}
		if refusal != "" {
			en.State, en.NotCopyable = MetaNotCopyable, refusal
		} else {
			en.compare(dstList)
		}
		inv.Entries = append(inv.Entries, en)
	}
	return inv
}

// compare sets the entry's state from the target's listing.
func (en *MetadataEntry) compare(dstList esclient.MetaListing) {
	t, ok := dstList.Find(en.Kind, en.Name)
	en.Target, en.Diff = nil, nil
	if !ok {
		en.State = MetaAbsent
		return
	}
	en.Target = &t
	d := MetaDiff(en.Put.Body, t.Body)
	if len(d) == 0 {
		en.State = MetaIdentical
		return
	}
	en.State, en.Diff = MetaDifferent, d
}

func matchesAny(patterns []string, it esclient.MetaItem) bool {
	for _, p := range patterns {
		if metaPatternMatches(p, it.Kind, it.Name) {
			return true
		}
	}
	return false
}

// builtinReason tells why an item belongs to the cluster itself: system items have dot names, and Elastic's
// own templates, pipelines and policies carry _meta.managed: true (x-pack monitoring's pipelines predate that).
func builtinReason(it esclient.MetaItem) string {
	switch {
	case strings.HasPrefix(it.Name, "."):
		return "a system item (its name starts with a dot)"
	case isTrue(dig(it.Body, "_meta", "managed")) || isTrue(dig(it.Body, "policy", "_meta", "managed")):
		return "managed by the cluster (_meta.managed: true)"
	case it.Kind == esclient.MetaPipeline && strings.HasPrefix(it.Name, "xpack_monitoring_"):
		return "x-pack monitoring's own pipeline"
	}
	return ""
}

func isTrue(v any) bool {
	switch t := v.(type) {
	case bool:
		return t
	case string:
		return t == "true"
	}
	return false
}

// dig follows keys through nested maps.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// usedItems finds, for each item id, what uses it: templates whose patterns create a selected index, the
// pipelines and policy its settings name, and, transitively, what those items name (component templates,
// pipelines named by a template's settings or by a pipeline processor, stored scripts named by a script
// processor).
func usedItems(l esclient.MetaListing, src Product, uses []IndexUse) map[string][]string {
	out := map[string][]string{}
	var queue []esclient.MetaItem
	add := func(kind esclient.MetaKind, name, reason string) {
		it, ok := l.Find(kind, name)
		if !ok {
			return
		}
		id := it.ID()
		if _, seen := out[id]; !seen {
			queue = append(queue, it)
		}
		if len(out[id]) < 5 {
			out[id] = append(out[id], reason)
		} else if len(out[id]) == 5 {
			out[id] = append(out[id], "and more")
		}
	}
	policyKind := esclient.MetaILMPolicy
	if src.Distribution == esclient.OpenSearch {
		policyKind = esclient.MetaISMPolicy
	}
	for _, ix := range uses {
		name := ix.Name
		if ix.DataStream != "" {
			name = ix.DataStream // templates match the data stream's name, not its backing indices'
		}
		// Composable templates first: the one of highest priority creates the index, and then no legacy
		// template applies (Elasticsearch 7.8+ and OpenSearch).
		best, bestPrio, bestPat := "", int64(-1), ""
		for _, it := range l.Items {
			if it.Kind != esclient.MetaIndexTemplate {
				continue
			}
			if p, ok := matchingPattern(dig(it.Body, "index_patterns"), name); ok {
				prio := toInt(dig(it.Body, "priority"))
				if prio > bestPrio {
					best, bestPrio, bestPat = it.Name, prio, p
				}
			}
		}
		if best != "" {
			add(esclient.MetaIndexTemplate, best, fmt.Sprintf("creates %s (pattern %s)", name, bestPat))
		} else {
			for _, it := range l.Items {
				if it.Kind != esclient.MetaLegacyTemplate {
					continue
				}
				if p, ok := matchingPattern(dig(it.Body, "index_patterns"), name); ok {
					add(it.Kind, it.Name, fmt.Sprintf("creates %s (pattern %s)", name, p))
				}
			}
		}
		for _, s := range []string{"index.default_pipeline", "index.final_pipeline"} {
			if p := ix.Settings[s]; p != "" && p != "_none" {
				add(esclient.MetaPipeline, p, fmt.Sprintf("%s of %s", s, ix.Name))
			}
		}
		if p := ix.Settings["index.lifecycle.name"]; p != "" {
			add(esclient.MetaILMPolicy, p, "index.lifecycle.name of "+ix.Name)
		}
		for _, s := range []string{"index.plugins.index_state_management.policy_id", "index.opendistro.index_state_management.policy_id"} {
			if p := ix.Settings[s]; p != "" {
				add(esclient.MetaISMPolicy, p, s+" of "+ix.Name)
			}
		}
		if policyKind == esclient.MetaISMPolicy {
			for _, it := range l.Items {
				if it.Kind != esclient.MetaISMPolicy {
					continue
				}
				for _, tpl := range asList(dig(it.Body, "policy", "ism_template")) {
					if p, ok := matchingPattern(dig(tpl, "index_patterns"), ix.Name); ok {
						add(it.Kind, it.Name, fmt.Sprintf("ism_template of the policy matches %s (pattern %s)", ix.Name, p))
					}
				}
			}
		}
	}
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		for _, d := range metaDependencies(it) {
			add(d.kind, d.name, fmt.Sprintf("named by %s %s (%s)", it.Kind.Title(), it.Name, d.via))
		}
	}
	return out
}

func asList(v any) []any {
	switch t := v.(type) {
	case []any:
		return t
	case nil:
		return nil
	}
	return []any{v}
}

func toInt(v any) int64 {
	switch t := v.(type) {
	case json.Number:
		n, _ := t.Int64()
		return n
	case float64:
		return int64(t)
	case int:
		return int64(t)
	case int64:
		return t
	}
	return 0
}

// matchingPattern returns the first of a template's index_patterns (a string or a list) that matches name.
func matchingPattern(patterns any, name string) (string, bool) {
	for _, p := range asList(patterns) {
		if s, ok := p.(string); ok && simpleMatch(s, name) {
			return s, true
		}
	}
	return "", false
}

type metaDep struct {
	kind esclient.MetaKind
	name string
	via  string
}

// metaDependencies lists the items an item names.
func metaDependencies(it esclient.MetaItem) []metaDep {
	var out []metaDep
	settingsDeps := func(settings any) {
		flat := map[string]any{}
		flattenJSON("", settings, flat, true)
		for k, v := range flat {
			key := strings.TrimPrefix(k, "index.")
			s, _ := v.(string)
			if s == "" || s == "_none" {
				continue
			}
			switch key {
			case "default_pipeline", "final_pipeline":
				out = append(out, metaDep{esclient.MetaPipeline, s, "index." + key})
			case "lifecycle.name":
				out = append(out, metaDep{esclient.MetaILMPolicy, s, "index.lifecycle.name"})
			case "plugins.index_state_management.policy_id", "opendistro.index_state_management.policy_id":
				out = append(out, metaDep{esclient.MetaISMPolicy, s, "index." + key})
			}
		}
	}
	switch it.Kind {
	case esclient.MetaLegacyTemplate:
		settingsDeps(it.Body["settings"])
	case esclient.MetaComponentTemplate:
		settingsDeps(dig(it.Body, "template", "settings"))
	case esclient.MetaIndexTemplate:
		settingsDeps(dig(it.Body, "template", "settings"))
		for _, c := range asList(it.Body["composed_of"]) {
			if s, ok := c.(string); ok {
				out = append(out, metaDep{esclient.MetaComponentTemplate, s, "composed_of"})
			}
		}
	case esclient.MetaPipeline:
		walkProcessors(it.Body, func(key string, v map[string]any) {
			switch key {
			case "pipeline":
				if s, ok := v["name"].(string); ok && !strings.Contains(s, "{{") {
					out = append(out, metaDep{esclient.MetaPipeline, s, "pipeline processor"})
				}
			case "script":
				if s, ok := v["id"].(string); ok {
					out = append(out, metaDep{esclient.MetaStoredScript, s, "script processor"})
				}
			}
		})
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].kind+esclient.MetaKind(out[i].name) < out[j].kind+esclient.MetaKind(out[j].name)
	})
	return out
}

// walkProcessors calls f for every object under a key, at any depth (processors nest in on_failure, foreach,
// and if/else branches of later versions).
func walkProcessors(v any, f func(key string, v map[string]any)) {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if m, ok := x.(map[string]any); ok {
				f(k, m)
			}
			walkProcessors(x, f)
		}
	case []any:
		for _, x := range t {
			walkProcessors(x, f)
		}
	}
}

// flattenJSON flattens nested objects into dotted keys. Arrays of scalars are leaves; with objectsOnly, every
// array is a leaf (settings), else arrays of objects are indexed: processors[0].set.field.
func flattenJSON(prefix string, v any, out map[string]any, objectsOnly bool) {
	switch t := v.(type) {
	case map[string]any:
		if len(t) == 0 && prefix != "" {
			out[strings.TrimSuffix(prefix, ".")] = t
			return
		}
		for k, x := range t {
			flattenJSON(prefix+k+".", x, out, objectsOnly)
		}
		return
	case []any:
		if !objectsOnly && !allScalars(t) {
			p := strings.TrimSuffix(prefix, ".")
			for i, x := range t {
				flattenJSON(fmt.Sprintf("%s[%d].", p, i), x, out, objectsOnly)
			}
			return
		}
	}
	if prefix != "" {
		out[strings.TrimSuffix(prefix, ".")] = v
	}
}

func allScalars(list []any) bool {
	for _, x := range list {
		switch x.(type) {
		case map[string]any, []any:
			return false
		}
	}
	return true
}

// normalizeMeta drops what does not change an item's meaning, so that two clusters' copies compare equal: empty
// objects and lists (a template without aliases is written {} by some versions and left out by others), nulls,
// and settings written flat or nested ("index.number_of_shards" and {"index":{"number_of_shards"}} are the same
// setting; values are compared as text, as Elasticsearch returns them).
func normalizeMeta(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range t {
			if k == "settings" {
				if s := normalizeSettings(x); len(s) > 0 {
					out[k] = s
				}
				continue
			}
			n := normalizeMeta(x)
			if isEmpty(n) {
				continue
			}
			out[k] = n
		}
		return out
	case []any:
		out := make([]any, 0, len(t))
		for _, x := range t {
			out = append(out, normalizeMeta(x))
		}
		return out
	}
	return v
}

func isEmpty(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case map[string]any:
		return len(t) == 0
	case []any:
		return len(t) == 0
	}
	return false
}

func normalizeSettings(v any) map[string]any {
	flat := map[string]any{}
	flattenJSON("", v, flat, true)
	out := map[string]any{}
	for k, x := range flat {
		if isEmpty(x) {
			continue
		}
		if !strings.HasPrefix(k, "index.") {
			k = "index." + k
		}
		switch y := x.(type) {
		case []any:
			parts := make([]string, len(y))
			for i, e := range y {
				parts[i] = fmt.Sprint(e)
			}
			out[k] = strings.Join(parts, ",")
		default:
			out[k] = fmt.Sprint(y)
		}
	}
	return out
}

// MetaDiff compares two items' bodies and lists the differences, one line per field, sorted by field; nil when
// they are the same. The diff is of flattened fields (settings.index.number_of_shards: "1" → "2") rather than of
// JSON text: go-cmp prints Go syntax and says its output is not stable, and the JSON diff libraries produce
// RFC 6902 patches, which are for programs, not for people deciding whether to overwrite.
func MetaDiff(source, target map[string]any) []string {
	a, b := map[string]any{}, map[string]any{}
	flattenJSON("", normalizeMeta(source), a, false)
	flattenJSON("", normalizeMeta(target), b, false)
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	var sorted []string
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	var out []string
	for _, k := range sorted {
		va, ina := a[k]
		vb, inb := b[k]
		switch {
		case ina && !inb:
			out = append(out, fmt.Sprintf("+ %s: %s (only on the source)", k, jsonText(va)))
		case !ina && inb:
			out = append(out, fmt.Sprintf("- %s: %s (only on the target)", k, jsonText(vb)))
		case jsonText(va) != jsonText(vb):
			out = append(out, fmt.Sprintf("~ %s: %s on the source, %s on the target", k, jsonText(va), jsonText(vb)))
		}
	}
	const max = 40
	if len(out) > max {
		out = append(out[:max], fmt.Sprintf("... and %d more differences", len(out)-max))
	}
	return out
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// TranslateMeta returns the item as the target can take it, notes that say what was changed or left out and why,
// or a refusal when the item has no documented equivalent on the target. Only what Elasticsearch's and
// OpenSearch's documentation (and the test runners) show to be equivalent is translated; everything else is
// sent as it is, and the target's answer says what it cannot take.
func TranslateMeta(it esclient.MetaItem, src, dst Product) (esclient.MetaItem, []string, string) {
	body, _ := deepCopy(it.Body).(map[string]any)
	if body == nil {
		body = map[string]any{}
	}
	out := esclient.MetaItem{Kind: it.Kind, Name: it.Name, Body: body}
	var notes []string
	toOS := dst.Distribution == esclient.OpenSearch && src.Distribution != esclient.OpenSearch
	fromOS := src.Distribution == esclient.OpenSearch && dst.Distribution != esclient.OpenSearch
	switch it.Kind {
	case esclient.MetaILMPolicy:
		if dst.Distribution == esclient.OpenSearch {
			return out, nil, "OpenSearch has no ILM. Its ISM policies are states with transitions, a different language with no documented one-to-one translation (min_age counts from rollover in ILM, from creation in ISM): write an ISM policy by hand and attach it with an ism_template"
		}
	case esclient.MetaISMPolicy:
		if dst.Distribution != esclient.OpenSearch {
			return out, nil, "Elasticsearch has no ISM. ILM policies are phases with actions, with no documented one-to-one translation from ISM states: write an ILM policy by hand"
		}
	case esclient.MetaLegacyTemplate:
		if src.Distribution != esclient.OpenSearch && src.Version.Major <= 6 && (dst.Version.Major >= 7 || dst.Distribution == esclient.OpenSearch) {
			if typ, ok := unwrapMappingType(out.Body); ok {
				notes = append(notes, fmt.Sprintf("mapping type [%s] removed: Elasticsearch 7 and later have typeless mappings (include_type_name)", typ))
			}
		}
		notes = append(notes, translateSettings(out.Body, "settings", toOS)...)
	case esclient.MetaComponentTemplate, esclient.MetaIndexTemplate:
		tpl, _ := out.Body["template"].(map[string]any)
		if tpl != nil {
			notes = append(notes, translateSettings(tpl, "settings", toOS)...)
		}
		notes = append(notes, dropUnknownTemplateFields(out.Body, it.Kind, dst)...)
		if fromOS {
			if ds, ok := out.Body["data_stream"].(map[string]any); ok {
				if name, _ := dig(ds, "timestamp_field", "name").(string); name != "" {
					delete(ds, "timestamp_field")
					if name == "@timestamp" {
						notes = append(notes, "data_stream.timestamp_field left out: Elasticsearch data streams always use @timestamp, as this template does")
					} else {
						notes = append(notes, fmt.Sprintf("data_stream.timestamp_field %q left out: Elasticsearch data streams always use @timestamp, so their documents need that field", name))
					}
				}
			}
			if _, ok := out.Body["context"]; ok {
				delete(out.Body, "context")
				notes = append(notes, "context left out: OpenSearch's application-based templates have no Elasticsearch equivalent")
			}
		}
	}
	return out, notes, ""
}

// templateField is a field of composable or component templates that only some versions know.
type templateField struct {
	path    []string
	kinds   []esclient.MetaKind
	since   esclient.Version // the first Elasticsearch version that takes it
	os      bool             // OpenSearch 2.x takes it too
	meaning string
}

// templateFields: measured on the runners (7.10.2, 7.17.29, 8.19.21, OpenSearch 2.19.1: each answers
// "unknown field [x]" to a field it does not know) and dated from Elasticsearch's release notes.
var templateFields = []templateField{
	{[]string{"allow_auto_create"}, []esclient.MetaKind{esclient.MetaIndexTemplate}, esclient.Version{Major: 7, Minor: 11}, false,
		"the target's action.auto_create_index setting decides instead"},
	{[]string{"data_stream", "hidden"}, []esclient.MetaKind{esclient.MetaIndexTemplate}, esclient.Version{Major: 7, Minor: 11}, true,
		"the data stream is visible"},
	{[]string{"data_stream", "allow_custom_routing"}, []esclient.MetaKind{esclient.MetaIndexTemplate}, esclient.Version{Major: 8}, true,
		"custom routing is refused on the data stream"},
	{[]string{"ignore_missing_component_templates"}, []esclient.MetaKind{esclient.MetaIndexTemplate}, esclient.Version{Major: 8, Minor: 7}, false,
		"every component template it names must exist on the target"},
	{[]string{"deprecated"}, []esclient.MetaKind{esclient.MetaIndexTemplate, esclient.MetaComponentTemplate}, esclient.Version{Major: 8, Minor: 12}, false,
		"only a deprecation marker: no warning when it is used"},
	{[]string{"template", "lifecycle"}, []esclient.MetaKind{esclient.MetaIndexTemplate, esclient.MetaComponentTemplate}, esclient.Version{Major: 8, Minor: 11}, false,
		"the data stream lifecycle (retention) is not set: use a lifecycle policy on the target instead"},
	{[]string{"template", "data_stream_options"}, []esclient.MetaKind{esclient.MetaIndexTemplate, esclient.MetaComponentTemplate}, esclient.Version{Major: 8, Minor: 19}, false,
		"the failure store is not set up"},
}

func dropUnknownTemplateFields(body map[string]any, kind esclient.MetaKind, dst Product) []string {
	var notes []string
	for _, f := range templateFields {
		if !containsKind(f.kinds, kind) {
			continue
		}
		parent := body
		for _, k := range f.path[:len(f.path)-1] {
			parent, _ = parent[k].(map[string]any)
		}
		last := f.path[len(f.path)-1]
		if parent == nil {
			continue
		}
		if _, ok := parent[last]; !ok {
			continue
		}
		var knows bool
		var who string
		if dst.Distribution == esclient.OpenSearch {
			knows, who = f.os, "OpenSearch"
		} else {
			knows, who = !dst.Version.Less(f.since), "Elasticsearch before "+fmt.Sprintf("%d.%d", f.since.Major, f.since.Minor)
		}
		if knows {
			continue
		}
		delete(parent, last)
		notes = append(notes, fmt.Sprintf("%s left out: %s does not know it (%s)", strings.Join(f.path, "."), who, f.meaning))
	}
	return notes
}

func containsKind(list []esclient.MetaKind, k esclient.MetaKind) bool {
	for _, x := range list {
		if x == k {
			return true
		}
	}
	return false
}

// translateSettings removes, for an OpenSearch target, the settings of Elasticsearch features OpenSearch does
// not have: ILM's index.lifecycle.* (OpenSearch refuses unknown settings) and the data tier allocation filters,
// which OpenSearch would read as a custom node attribute no node has, leaving the shards unassigned.
func translateSettings(holder map[string]any, key string, toOS bool) []string {
	if !toOS {
		return nil
	}
	settings, _ := holder[key].(map[string]any)
	if settings == nil {
		return nil
	}
	flat := map[string]any{}
	flattenJSON("", settings, flat, true)
	var removed []string
	for k := range flat {
		full := k
		if !strings.HasPrefix(full, "index.") {
			full = "index." + full
		}
		if strings.HasPrefix(full, "index.lifecycle.") || strings.Contains(full, "._tier") {
			removed = append(removed, full)
			deleteSetting(settings, k)
		}
	}
	sort.Strings(removed)
	var notes []string
	for _, k := range removed {
		switch {
		case strings.HasPrefix(k, "index.lifecycle."):
			notes = append(notes, fmt.Sprintf("setting %s left out: OpenSearch has no ILM (attach an ISM policy with an ism_template instead)", k))
		default:
			notes = append(notes, fmt.Sprintf("setting %s left out: OpenSearch has no data tiers (it would read this as a node attribute no node has, and leave the shards unassigned)", k))
		}
	}
	return notes
}

// deleteSetting removes a flattened key from nested or flat settings, and the objects it leaves empty.
func deleteSetting(m map[string]any, key string) {
	if _, ok := m[key]; ok {
		delete(m, key)
		return
	}
	for k, v := range m {
		if strings.HasPrefix(key, k+".") {
			if sub, ok := v.(map[string]any); ok {
				deleteSetting(sub, strings.TrimPrefix(key, k+"."))
				if len(sub) == 0 {
					delete(m, k)
				}
				return
			}
		}
	}
}

// mappingKeys are the top-level keys of a typeless mapping; anything else alone at the top is a 6.x type name.
var mappingKeys = map[string]bool{"properties": true, "dynamic": true, "dynamic_templates": true, "_source": true,
	"_routing": true, "_meta": true, "date_detection": true, "numeric_detection": true, "dynamic_date_formats": true,
	"_field_names": true, "enabled": true, "runtime": true, "_all": true, "_size": true, "subobjects": true}

func unwrapMappingType(body map[string]any) (string, bool) {
	m, _ := body["mappings"].(map[string]any)
	if len(m) != 1 {
		return "", false
	}
	for typ, inner := range m {
		if mappingKeys[typ] {
			return "", false
		}
		if im, ok := inner.(map[string]any); ok {
			body["mappings"] = im
			return typ, true
		}
	}
	return "", false
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = deepCopy(x)
		}
		return m
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = deepCopy(x)
		}
		return out
	}
	return v
}

// Results of copying an item.
const (
	MetaCreated     = "created"
	MetaOverwritten = "overwritten"
	MetaUnchanged   = "identical"    // already the same on the target: nothing sent
	MetaSkipped     = "skipped"      // a conflict not overwritten
	MetaRefused     = "refused"      // the target answered that it cannot take the item
	MetaFailed      = "failed"       // any other failure (unreachable, ...)
	MetaLeftOut     = "not_copyable" // no API or no equivalent on the target
	MetaWouldCreate = "would_create" // dry run
	MetaWouldWrite  = "would_overwrite"
)

// MetadataOutcome is what happened to one chosen item.
type MetadataOutcome struct {
	Kind   esclient.MetaKind `json:"kind"`
	Name   string            `json:"name"`
	Result string            `json:"result"`
	Reason string            `json:"reason,omitempty"`
	Fix    string            `json:"fix,omitempty"`
	Notes  []string          `json:"notes,omitempty"` // what the translation changed or left out
	Diff   []string          `json:"diff,omitempty"`  // for a conflict
}

// MetadataResult is the metadata step's outcome, for the report.
type MetadataResult struct {
	Items []MetadataOutcome `json:"items"`
	// Counts by result.
	Counts map[string]int `json:"counts"`
}

// Problems counts the items that did not arrive (refused, failed, not copyable, skipped conflicts).
func (r *MetadataResult) Problems() int {
	if r == nil {
		return 0
	}
	return r.Counts[MetaRefused] + r.Counts[MetaFailed] + r.Counts[MetaLeftOut] + r.Counts[MetaSkipped]
}

// CopyMetadata copies the chosen items to the target, one request each, in dependency order (scripts, pipelines,
// policies, component templates, index templates, legacy templates), each shown as curl through the request
// events; a dry run sends none of them. It reads the target's items again first, so that what was created there
// since the inventory is not overwritten unawares. An item that differs on the target is overwritten only when
// the plan says on_conflict: overwrite and overwriteConfirmed is true (the operator typed the confirmation).
func (e *Engine) CopyMetadata(ctx context.Context, inv *MetadataInventory, overwriteConfirmed bool) (*MetadataResult, error) {
	res := &MetadataResult{Counts: map[string]int{}}
	chosen := inv.Selected()
	e.emit(Event{Kind: KindStart, Phase: PhaseMetadata, Message: fmt.Sprintf("%d item(s) chosen", len(chosen))})
	if len(chosen) == 0 {
		e.emit(Event{Kind: KindDone, Phase: PhaseMetadata, Message: "no item chosen"})
		return res, nil
	}
	dstList, err := e.dst.Metadata(ctx, distributionOf(inv.Target))
	if err != nil {
		e.emit(Event{Kind: KindError, Level: LevelError, Phase: PhaseMetadata, Message: err.Error()})
		return res, err
	}
	sort.SliceStable(chosen, func(i, j int) bool { return kindRank(chosen[i].Kind) < kindRank(chosen[j].Kind) })
	overwrite := e.plan.Metadata.OnConflict == MetaConflictOverwrite
	for _, en := range chosen {
		if en.State != MetaNotCopyable {
			en.compare(dstList)
		}
		o := MetadataOutcome{Kind: en.Kind, Name: en.Name, Notes: en.Notes, Diff: en.Diff}
		title := en.Kind.Title() + " " + en.Name
		switch en.State {
		case MetaNotCopyable:
			o.Result, o.Reason = MetaLeftOut, en.NotCopyable
		case MetaIdentical:
			o.Result, o.Reason = MetaUnchanged, "already the same on the target"
		case MetaDifferent:
			switch {
			case !overwrite:
				o.Result, o.Reason = MetaSkipped, "differs on the target; kept the target's (metadata.on_conflict: skip)"
				o.Fix = "compare the two (the differences are listed), then set metadata.on_conflict: overwrite and confirm it, or change the target's item yourself"
			case !overwriteConfirmed:
				o.Result, o.Reason = MetaSkipped, "differs on the target; metadata.on_conflict: overwrite needs the operator's typed confirmation, which was not given"
				o.Fix = "confirm the overwrite in the wizard, or run with --allow-metadata-overwrite"
			default:
				o.Result = e.putMeta(ctx, en, true, &o)
			}
		default:
			o.Result = e.putMeta(ctx, en, false, &o)
		}
		res.Items = append(res.Items, o)
		res.Counts[o.Result]++
		level := LevelInfo
		switch o.Result {
		case MetaRefused, MetaFailed, MetaSkipped, MetaLeftOut:
			level = LevelWarn
		}
		msg := title + ": " + strings.ReplaceAll(o.Result, "_", " ")
		if o.Reason != "" {
			msg += ": " + o.Reason
		}
		for _, n := range o.Notes {
			msg += "; " + n
		}
		e.log(PhaseMetadata, 0, level, "%s", msg)
	}
	e.emit(Event{Kind: KindDone, Phase: PhaseMetadata, Message: res.Summary()})
	return res, nil
}

func kindRank(k esclient.MetaKind) int {
	for i, x := range esclient.MetaKinds {
		if x == k {
			return i
		}
	}
	return len(esclient.MetaKinds)
}

func distributionOf(p Product) string {
	if p.Distribution == "" {
		return esclient.Elasticsearch
	}
	return p.Distribution
}

// putMeta sends one item (through the engine's request, so that it is shown as curl and a dry run sends
// nothing) and returns the result.
func (e *Engine) putMeta(ctx context.Context, en MetadataEntry, overwrite bool, o *MetadataOutcome) string {
	req := esclient.PutMetaRequest(en.Put, overwrite, en.Target)
	what := i18n.M("req.meta.create", en.Kind.TitleMsg(), en.Name)
	if overwrite {
		what = i18n.M("req.meta.overwrite", en.Kind.TitleMsg(), en.Name)
	}
	err := e.request(ctx, e.dst, PhaseMetadata, 0, what, req)
	switch {
	case err == nil && e.opts.DryRun && overwrite:
		return MetaWouldWrite
	case err == nil && e.opts.DryRun:
		return MetaWouldCreate
	case err == nil && overwrite:
		return MetaOverwritten
	case err == nil:
		return MetaCreated
	}
	var ee *esclient.Error
	if errors.As(err, &ee) && ee.Status >= 400 && ee.Status < 500 && ee.Status != 401 && ee.Status != 403 && ee.Status != 429 {
		o.Reason = "the target cannot take this item: " + ee.Type + ": " + ee.Reason
		o.Fix = RefusalFix(en.Kind, ee.Reason)
		return MetaRefused
	}
	o.Reason = err.Error()
	o.Fix = "nothing else was changed; run the step again: items already copied are found identical and left alone"
	return MetaFailed
}

// RefusalFix explains, from the target's own reason, why it cannot take an item and what to do.
func RefusalFix(kind esclient.MetaKind, reason string) string {
	between := func(s, open, close string) string {
		i := strings.Index(s, open)
		if i < 0 {
			return ""
		}
		rest := s[i+len(open):]
		j := strings.Index(rest, close)
		if j < 0 {
			return ""
		}
		return rest[:j]
	}
	switch {
	case strings.Contains(reason, "No processor type exists with name"):
		p := between(reason, "name [", "]")
		return fmt.Sprintf("the target has no %q processor: it comes with a module or plugin (ingest-common for most processors) that the target's nodes lack; install it on every target node, or leave this pipeline out and change the writers that name it", p)
	case strings.Contains(reason, "unsupported lang"):
		l := between(reason, "lang [", "]")
		return fmt.Sprintf("the target has no %q script language (module lang-%s): install it on every target node, or leave this script out", l, l)
	case strings.Contains(reason, "unknown setting"):
		s := between(reason, "unknown setting [", "]")
		return fmt.Sprintf("the target does not know the setting %s (it belongs to a plugin or feature the target lacks): install what provides it on every target node, or leave this item out and create it on the target by hand without that setting", s)
	case strings.Contains(reason, "unknown field"):
		f := between(reason, "unknown field [", "]")
		return fmt.Sprintf("the target's version does not know the field %q of this %s: edit the item on the target by hand without it", f, kind.Title())
	case strings.Contains(reason, "that have the same priority"):
		return "a template already on the target matches some of the same index patterns with the same priority: give one of them another priority (only one composable template may create an index)"
	case strings.Contains(reason, "specifies component templates") && strings.Contains(reason, "that do not exist"):
		return "copy the component templates it is composed of first (choose them too), then this template"
	case strings.Contains(reason, "already exists"):
		return "an item of this name was created on the target meanwhile: run the step again to compare it"
	case strings.Contains(reason, "compile error") || strings.Contains(reason, "script_exception"):
		return "the target's script engine cannot compile this script (another version of the language): adapt the script on the target by hand"
	}
	return "read the target's reason; the item is left out, everything else goes on"
}

// Summary is one line of counts.
func (r *MetadataResult) Summary() string {
	if r == nil || len(r.Items) == 0 {
		return "no metadata item chosen"
	}
	var parts []string
	for _, k := range []string{MetaCreated, MetaOverwritten, MetaUnchanged, MetaWouldCreate, MetaWouldWrite, MetaSkipped, MetaRefused, MetaLeftOut, MetaFailed} {
		if n := r.Counts[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, strings.ReplaceAll(k, "_", " ")))
		}
	}
	return strings.Join(parts, ", ")
}

// Markdown renders the report's metadata section.
// MarkdownIn is the report's metadata section in l's language.
func (r *MetadataResult) MarkdownIn(l *i18n.Localizer) string { return r.Markdown() }

func (r *MetadataResult) Markdown() string {
	if r == nil || len(r.Items) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n## Metadata (templates, pipelines, policies, scripts)\n\n%s\n\n", r.Summary())
	fmt.Fprintf(&b, "| Kind | Name | Result | Reason |\n|---|---|---|---|\n")
	for _, o := range r.Items {
		reason := o.Reason
		if o.Fix != "" {
			reason += " (" + o.Fix + ")"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", o.Kind.Title(), mdCell(o.Name), strings.ReplaceAll(o.Result, "_", " "), mdCell(reason))
	}
	var notes []string
	for _, o := range r.Items {
		for _, n := range o.Notes {
			notes = append(notes, fmt.Sprintf("- %s %s: %s", o.Kind.Title(), o.Name, n))
		}
		if o.Result == MetaSkipped {
			for _, d := range o.Diff {
				notes = append(notes, fmt.Sprintf("- %s %s differs: `%s`", o.Kind.Title(), o.Name, d))
			}
		}
	}
	if len(notes) > 0 {
		fmt.Fprintf(&b, "\nWhat was translated, left out or differs:\n\n%s\n", strings.Join(notes, "\n"))
	}
	return b.String()
}

func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
