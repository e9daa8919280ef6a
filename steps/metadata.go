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
	// Overwrite names conflicts (kind/name, wildcards as in Include) to overwrite although on_conflict is skip:
	// the wizard's typed confirmation of one conflict adds it here. Like on_conflict: overwrite, it needs the
	// operator's confirmation (headless: --allow-metadata-overwrite).
	Overwrite []string `yaml:"overwrite,omitempty" json:"overwrite,omitempty"`
}

// normalized is the section with empty lists as nil and the default conflict policy as "" (what the plan's
// hash is computed from).
func (m MetadataPlan) normalized() MetadataPlan {
	if len(m.Include) == 0 {
		m.Include = nil
	}
	if len(m.Exclude) == 0 {
		m.Exclude = nil
	}
	if len(m.Overwrite) == 0 {
		m.Overwrite = nil
	}
	if m.OnConflict == MetaConflictSkip {
		m.OnConflict = ""
	}
	return m
}

// overwrites tells whether the plan asks to overwrite an item that differs on the target.
func (m MetadataPlan) overwrites(kind esclient.MetaKind, name string) bool {
	return m.OnConflict == MetaConflictOverwrite || matchesAny(m.Overwrite, esclient.MetaItem{Kind: kind, Name: name})
}

// Metadata conflict policies.
const (
	MetaConflictSkip      = "skip"
	MetaConflictOverwrite = "overwrite"
)

// validate checks the plan's metadata section; Plan.Validate calls it.
func (m MetadataPlan) validate() error {
	for field, list := range map[string][]string{"metadata.include": m.Include, "metadata.exclude": m.Exclude, "metadata.overwrite": m.Overwrite} {
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
		return i18n.Errorf("meta.pattern", s)
	}
	if _, known := esclient.ParseMetaKind(kind); !known && kind != "*" {
		var kinds []string
		for _, k := range esclient.MetaKinds {
			kinds = append(kinds, string(k))
		}
		return i18n.Errorf("meta.kind.unknown", s, kind, strings.Join(kinds, ", "))
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
	UsedBy []i18n.Msg `json:"used_by,omitempty"`
	// Builtin says why the item belongs to the source cluster itself (a dot name, _meta.managed): such items
	// are not chosen by default, the target has its own.
	Builtin  i18n.Msg `json:"builtin,omitzero"`
	Selected bool     `json:"selected"`
	Why      i18n.Msg `json:"why"` // why it is selected or not, in words
	State    string   `json:"state"`
	// Diff lists the differences with the target's item, one line per field (MetaDifferent only).
	Diff []i18n.Msg `json:"diff,omitempty"`
	// Notes say what the translation for the target changed or left out, and why.
	Notes []i18n.Msg `json:"notes,omitempty"`
	// NotCopyable says why the item cannot go to this target (MetaNotCopyable only).
	NotCopyable i18n.Msg `json:"not_copyable,omitzero"`

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
	// Managed lists the selected indices that name a lifecycle policy (index.lifecycle.name): the lifecycle
	// remedy (ignore_index_settings or restore.pause_ilm) is about them.
	Managed []string `json:"managed,omitempty"`
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
	var managed []string
	for _, ix := range sel.Indices {
		uses = append(uses, IndexUse{Name: ix.Name, DataStream: ix.DataStream, Settings: settings[ix.Name]})
		if settings[ix.Name]["index.lifecycle.name"] != "" {
			managed = append(managed, ix.Name)
		}
	}
	inv := BuildMetadataInventory(srcList, dstList, src.Product(), dst.Product(), uses, e.plan.Metadata)
	inv.Managed = managed
	return inv, nil
}

// BuildMetadataInventory decides, without any request, what each source item is used by, whether it is chosen,
// how it translates for the target and how it compares with the target's item.
func BuildMetadataInventory(srcList, dstList esclient.MetaListing, src, dst Product, uses []IndexUse, mp MetadataPlan) *MetadataInventory {
	inv := &MetadataInventory{Source: src, Target: dst, SourceUnavailable: srcList.Unavailable, TargetUnavailable: dstList.Unavailable}
	used := usedItems(srcList, src, uses)
	for _, it := range srcList.Items {
		en := MetadataEntry{Kind: it.Kind, Name: it.Name, Source: it, UsedBy: used[it.ID()], Builtin: builtinReason(it)}
		put, notes, refusal := TranslateMeta(it, src, dst)
		en.Put, en.Notes = put, notes
		if why, ok := dstList.Unavailable[it.Kind]; ok && refusal.IsZero() {
			refusal = i18n.M("meta.noapi", dst.String(), it.Kind.TitleMsg(), why)
		}
		if !refusal.IsZero() {
			en.State, en.NotCopyable = MetaNotCopyable, refusal
		} else {
			en.compare(dstList)
		}
		inv.Entries = append(inv.Entries, en)
	}
	inv.Choose(mp)
	return inv
}

// Choose decides which items are chosen for a plan's metadata section, without any request: what the selected
// indices use (built-in items excepted: the target has its own), plus metadata.include, minus
// metadata.exclude; and what a chosen item names comes with it (a composable template's component templates, a
// pipeline's stored scripts), unless excluded or built in. The wizard calls it again after each change of the
// section.
func (inv *MetadataInventory) Choose(mp MetadataPlan) {
	byID := map[string]*MetadataEntry{}
	var queue []*MetadataEntry
	for i := range inv.Entries {
		en := &inv.Entries[i]
		byID[en.ID()] = en
		it := en.Source
		if it.Kind == "" {
			it = esclient.MetaItem{Kind: en.Kind, Name: en.Name}
		}
		en.Selected = false
		switch {
		case matchesAny(mp.Exclude, it):
			en.Why = i18n.M("meta.why.excluded")
		case matchesAny(mp.Include, it):
			en.Selected, en.Why = true, i18n.M("meta.why.included")
		case len(en.UsedBy) > 0 && !en.Builtin.IsZero():
			en.Why = i18n.M("meta.why.usedbuiltin", en.Builtin)
		case len(en.UsedBy) > 0:
			en.Selected, en.Why = true, i18n.M("meta.why.used")
		case !en.Builtin.IsZero():
			en.Why = i18n.M("meta.why.builtin", en.Builtin)
		default:
			en.Why = i18n.M("meta.why.unused")
		}
		if en.Selected {
			queue = append(queue, en)
		}
	}
	for len(queue) > 0 {
		en := queue[0]
		queue = queue[1:]
		for _, d := range metaDependencies(en.Source) {
			dep := byID[string(d.kind)+"/"+d.name]
			if dep == nil || dep.Selected || !dep.Builtin.IsZero() || matchesAny(mp.Exclude, dep.Source) {
				continue
			}
			dep.Selected, dep.Why = true, i18n.M("meta.why.named", en.Kind.TitleMsg(), en.Name, d.via)
			queue = append(queue, dep)
		}
	}
}

// WithChosen is the plan's metadata section after the operator chose an item or left it out: an item chosen by
// default (used by the selected indices) is left out by excluding it; any other is chosen by including it.
// Names are exact (the wizard's choices), and the section's other entries stay (an item a wildcard of
// metadata.exclude leaves out stays out: exclude wins).
func (m MetadataPlan) WithChosen(en MetadataEntry, chosen bool) MetadataPlan {
	id := en.ID()
	without := func(list []string) []string {
		var out []string
		for _, s := range list {
			if s != id {
				out = append(out, s)
			}
		}
		return out
	}
	m.Include, m.Exclude = without(m.Include), without(m.Exclude)
	byDefault := len(en.UsedBy) > 0 && en.Builtin.IsZero()
	it := esclient.MetaItem{Kind: en.Kind, Name: en.Name}
	switch {
	case chosen && !byDefault:
		m.Include = append(m.Include, id)
	case !chosen && (byDefault || matchesAny(m.Include, it)):
		m.Exclude = append(m.Exclude, id)
	}
	return m
}

// WithOverwrite is the section with one conflict to overwrite (or not any more).
func (m MetadataPlan) WithOverwrite(en MetadataEntry, overwrite bool) MetadataPlan {
	id := en.ID()
	var out []string
	for _, s := range m.Overwrite {
		if s != id {
			out = append(out, s)
		}
	}
	if overwrite {
		out = append(out, id)
	}
	m.Overwrite = out
	return m
}

// Overwrites tells whether the plan asks to overwrite the item when it differs on the target.
func (m MetadataPlan) Overwrites(en MetadataEntry) bool { return m.overwrites(en.Kind, en.Name) }

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
func builtinReason(it esclient.MetaItem) i18n.Msg {
	switch {
	case strings.HasPrefix(it.Name, "."):
		return i18n.M("meta.builtin.dot")
	case isTrue(dig(it.Body, "_meta", "managed")) || isTrue(dig(it.Body, "policy", "_meta", "managed")):
		return i18n.M("meta.builtin.managed")
	case it.Kind == esclient.MetaPipeline && strings.HasPrefix(it.Name, "xpack_monitoring_"):
		return i18n.M("meta.builtin.monitoring")
	}
	return i18n.Msg{}
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
func usedItems(l esclient.MetaListing, src Product, uses []IndexUse) map[string][]i18n.Msg {
	out := map[string][]i18n.Msg{}
	var queue []esclient.MetaItem
	add := func(kind esclient.MetaKind, name string, reason i18n.Msg) {
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
			out[id] = append(out[id], i18n.M("meta.used.more"))
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
			add(esclient.MetaIndexTemplate, best, i18n.M("meta.used.creates", name, bestPat))
		} else {
			for _, it := range l.Items {
				if it.Kind != esclient.MetaLegacyTemplate {
					continue
				}
				if p, ok := matchingPattern(dig(it.Body, "index_patterns"), name); ok {
					add(it.Kind, it.Name, i18n.M("meta.used.creates", name, p))
				}
			}
		}
		for _, s := range []string{"index.default_pipeline", "index.final_pipeline"} {
			if p := ix.Settings[s]; p != "" && p != "_none" {
				add(esclient.MetaPipeline, p, i18n.M("meta.used.setting", s, ix.Name))
			}
		}
		if p := ix.Settings["index.lifecycle.name"]; p != "" {
			add(esclient.MetaILMPolicy, p, i18n.M("meta.used.setting", "index.lifecycle.name", ix.Name))
		}
		for _, s := range []string{"index.plugins.index_state_management.policy_id", "index.opendistro.index_state_management.policy_id"} {
			if p := ix.Settings[s]; p != "" {
				add(esclient.MetaISMPolicy, p, i18n.M("meta.used.setting", s, ix.Name))
			}
		}
		if policyKind == esclient.MetaISMPolicy {
			for _, it := range l.Items {
				if it.Kind != esclient.MetaISMPolicy {
					continue
				}
				for _, tpl := range asList(dig(it.Body, "policy", "ism_template")) {
					if p, ok := matchingPattern(dig(tpl, "index_patterns"), ix.Name); ok {
						add(it.Kind, it.Name, i18n.M("meta.used.ism", ix.Name, p))
					}
				}
			}
		}
	}
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		for _, d := range metaDependencies(it) {
			add(d.kind, d.name, i18n.M("meta.used.named", it.Kind.TitleMsg(), it.Name, d.via))
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
func MetaDiff(source, target map[string]any) []i18n.Msg {
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
	var out []i18n.Msg
	for _, k := range sorted {
		va, ina := a[k]
		vb, inb := b[k]
		switch {
		case ina && !inb:
			out = append(out, i18n.M("meta.diff.source", k, jsonText(va)))
		case !ina && inb:
			out = append(out, i18n.M("meta.diff.target", k, jsonText(vb)))
		case jsonText(va) != jsonText(vb):
			out = append(out, i18n.M("meta.diff.both", k, jsonText(va), jsonText(vb)))
		}
	}
	const max = 40
	if len(out) > max {
		out = append(out[:max], i18n.M("meta.diff.more", len(out)-max))
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
func TranslateMeta(it esclient.MetaItem, src, dst Product) (esclient.MetaItem, []i18n.Msg, i18n.Msg) {
	body, _ := deepCopy(it.Body).(map[string]any)
	if body == nil {
		body = map[string]any{}
	}
	out := esclient.MetaItem{Kind: it.Kind, Name: it.Name, Body: body}
	var notes []i18n.Msg
	none := i18n.Msg{}
	toOS := dst.Distribution == esclient.OpenSearch && src.Distribution != esclient.OpenSearch
	fromOS := src.Distribution == esclient.OpenSearch && dst.Distribution != esclient.OpenSearch
	switch it.Kind {
	case esclient.MetaILMPolicy:
		if dst.Distribution == esclient.OpenSearch {
			return out, nil, i18n.M("meta.refuse.ilm")
		}
	case esclient.MetaISMPolicy:
		if dst.Distribution != esclient.OpenSearch {
			return out, nil, i18n.M("meta.refuse.ism")
		}
	case esclient.MetaLegacyTemplate:
		if src.Distribution != esclient.OpenSearch && src.Version.Major <= 6 && (dst.Version.Major >= 7 || dst.Distribution == esclient.OpenSearch) {
			if typ, ok := unwrapMappingType(out.Body); ok {
				notes = append(notes, i18n.M("meta.note.type", typ))
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
						notes = append(notes, i18n.M("meta.note.timestamp"))
					} else {
						notes = append(notes, i18n.M("meta.note.timestampfield", name))
					}
				}
			}
			if _, ok := out.Body["context"]; ok {
				delete(out.Body, "context")
				notes = append(notes, i18n.M("meta.note.context"))
			}
		}
	}
	return out, notes, none
}

// templateField is a field of composable or component templates that only some versions know.
type templateField struct {
	path    []string
	kinds   []esclient.MetaKind
	since   esclient.Version // the first Elasticsearch version that takes it
	os      bool             // OpenSearch 2.x takes it too
	meaning string           // catalogue key: what the target does without the field
}

// templateFields: measured on the runners (7.10.2, 7.17.29, 8.19.21, OpenSearch 2.19.1: each answers
// "unknown field [x]" to a field it does not know) and dated from Elasticsearch's release notes.
var templateFields = []templateField{
	{[]string{"allow_auto_create"}, []esclient.MetaKind{esclient.MetaIndexTemplate}, esclient.Version{Major: 7, Minor: 11}, false,
		"meta.field.autocreate"},
	{[]string{"data_stream", "hidden"}, []esclient.MetaKind{esclient.MetaIndexTemplate}, esclient.Version{Major: 7, Minor: 11}, true,
		"meta.field.hidden"},
	{[]string{"data_stream", "allow_custom_routing"}, []esclient.MetaKind{esclient.MetaIndexTemplate}, esclient.Version{Major: 8}, true,
		"meta.field.routing"},
	{[]string{"ignore_missing_component_templates"}, []esclient.MetaKind{esclient.MetaIndexTemplate}, esclient.Version{Major: 8, Minor: 7}, false,
		"meta.field.components"},
	{[]string{"deprecated"}, []esclient.MetaKind{esclient.MetaIndexTemplate, esclient.MetaComponentTemplate}, esclient.Version{Major: 8, Minor: 12}, false,
		"meta.field.deprecated"},
	{[]string{"template", "lifecycle"}, []esclient.MetaKind{esclient.MetaIndexTemplate, esclient.MetaComponentTemplate}, esclient.Version{Major: 8, Minor: 11}, false,
		"meta.field.lifecycle"},
	{[]string{"template", "data_stream_options"}, []esclient.MetaKind{esclient.MetaIndexTemplate, esclient.MetaComponentTemplate}, esclient.Version{Major: 8, Minor: 19}, false,
		"meta.field.failurestore"},
}

func dropUnknownTemplateFields(body map[string]any, kind esclient.MetaKind, dst Product) []i18n.Msg {
	var notes []i18n.Msg
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
		var who i18n.Msg
		if dst.Distribution == esclient.OpenSearch {
			knows, who = f.os, i18n.Name("OpenSearch")
		} else {
			knows, who = !dst.Version.Less(f.since), i18n.M("meta.esbefore", fmt.Sprintf("%d.%d", f.since.Major, f.since.Minor))
		}
		if knows {
			continue
		}
		delete(parent, last)
		notes = append(notes, i18n.M("meta.note.field", strings.Join(f.path, "."), who, i18n.M(f.meaning)))
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
func translateSettings(holder map[string]any, key string, toOS bool) []i18n.Msg {
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
	var notes []i18n.Msg
	for _, k := range removed {
		switch {
		case strings.HasPrefix(k, "index.lifecycle."):
			notes = append(notes, i18n.M("meta.note.ilmsetting", k))
		default:
			notes = append(notes, i18n.M("meta.note.tier", k))
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
	Reason i18n.Msg          `json:"reason,omitzero"`
	Fix    i18n.Msg          `json:"fix,omitzero"`
	Notes  []i18n.Msg        `json:"notes,omitempty"` // what the translation changed or left out
	Diff   []i18n.Msg        `json:"diff,omitempty"`  // for a conflict
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
// the plan says on_conflict: overwrite or names it in metadata.overwrite, and overwriteConfirmed is true (the
// operator typed the confirmation).
func (e *Engine) CopyMetadata(ctx context.Context, inv *MetadataInventory, overwriteConfirmed bool) (*MetadataResult, error) {
	res := &MetadataResult{Counts: map[string]int{}}
	chosen := inv.Selected()
	e.emit(Event{Kind: KindStart, Phase: PhaseMetadata, Msg: i18n.M("meta.chosen", len(chosen))})
	if len(chosen) == 0 {
		e.emit(Event{Kind: KindDone, Phase: PhaseMetadata, Msg: i18n.M("meta.nonechosen")})
		return res, nil
	}
	dstList, err := e.dst.Metadata(ctx, distributionOf(inv.Target))
	if err != nil {
		e.emit(Event{Kind: KindError, Level: LevelError, Phase: PhaseMetadata, Msg: i18n.MsgOf(err)})
		return res, err
	}
	sort.SliceStable(chosen, func(i, j int) bool { return kindRank(chosen[i].Kind) < kindRank(chosen[j].Kind) })
	for _, en := range chosen {
		overwrite := e.plan.Metadata.overwrites(en.Kind, en.Name)
		if en.State != MetaNotCopyable {
			en.compare(dstList)
		}
		o := MetadataOutcome{Kind: en.Kind, Name: en.Name, Notes: en.Notes, Diff: en.Diff}
		title := i18n.M("meta.title", en.Kind.TitleMsg(), en.Name)
		switch en.State {
		case MetaNotCopyable:
			o.Result, o.Reason = MetaLeftOut, en.NotCopyable
		case MetaIdentical:
			o.Result, o.Reason = MetaUnchanged, i18n.M("meta.same")
		case MetaDifferent:
			switch {
			case !overwrite:
				o.Result, o.Reason = MetaSkipped, i18n.M("meta.skip")
				o.Fix = i18n.M("meta.skip.fix")
			case !overwriteConfirmed:
				o.Result, o.Reason = MetaSkipped, i18n.M("meta.unconfirmed")
				o.Fix = i18n.M("meta.unconfirmed.fix")
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
		msg := i18n.Join("list.colon", title, i18n.M("meta.result."+o.Result), o.Reason)
		msg = i18n.List("list.semi", append([]i18n.Msg{msg}, o.Notes...))
		e.emit(Event{Kind: KindLog, Level: level, Phase: PhaseMetadata, Batches: e.batches(), Msg: msg})
	}
	e.emit(Event{Kind: KindDone, Phase: PhaseMetadata, Msg: res.SummaryMsg()})
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
		o.Reason = i18n.M("meta.refused", ee.Type+": "+ee.Reason)
		o.Fix = RefusalFix(en.Kind, ee.Reason)
		return MetaRefused
	}
	o.Reason = i18n.MsgOf(err)
	o.Fix = i18n.M("meta.failed.fix")
	return MetaFailed
}

// RefusalFix explains, from the target's own reason, why it cannot take an item and what to do.
func RefusalFix(kind esclient.MetaKind, reason string) i18n.Msg {
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
		return i18n.M("meta.fix.processor", p)
	case strings.Contains(reason, "unsupported lang"):
		l := between(reason, "lang [", "]")
		return i18n.M("meta.fix.lang", l)
	case strings.Contains(reason, "unknown setting"):
		s := between(reason, "unknown setting [", "]")
		return i18n.M("meta.fix.setting", s)
	case strings.Contains(reason, "unknown field"):
		f := between(reason, "unknown field [", "]")
		return i18n.M("meta.fix.field", f, kind.TitleMsg())
	case strings.Contains(reason, "that have the same priority"):
		return i18n.M("meta.fix.priority")
	case strings.Contains(reason, "specifies component templates") && strings.Contains(reason, "that do not exist"):
		return i18n.M("meta.fix.components")
	case strings.Contains(reason, "already exists"):
		return i18n.M("meta.fix.exists")
	case strings.Contains(reason, "compile error") || strings.Contains(reason, "script_exception"):
		return i18n.M("meta.fix.compile")
	}
	return i18n.M("meta.fix.other")
}

// Summary is one line of counts.
func (r *MetadataResult) Summary() string { return r.SummaryMsg().String() }

// SummaryMsg is Summary as a message.
func (r *MetadataResult) SummaryMsg() i18n.Msg {
	if r == nil || len(r.Items) == 0 {
		return i18n.M("meta.nonechosen.long")
	}
	var parts []i18n.Msg
	for _, k := range []string{MetaCreated, MetaOverwritten, MetaUnchanged, MetaWouldCreate, MetaWouldWrite, MetaSkipped, MetaRefused, MetaLeftOut, MetaFailed} {
		if n := r.Counts[k]; n > 0 {
			parts = append(parts, i18n.M("meta.count", n, i18n.M("meta.result."+k)))
		}
	}
	return i18n.List("list.comma", parts)
}

// Markdown renders the report's metadata section, in English.
func (r *MetadataResult) Markdown() string { return r.MarkdownIn(i18n.English) }

// MarkdownIn is the report's metadata section in l's language.
func (r *MetadataResult) MarkdownIn(l *i18n.Localizer) string {
	if r == nil || len(r.Items) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n## %s\n\n%s\n\n", l.T("meta.md.title"), l.Msg(r.SummaryMsg()))
	fmt.Fprintf(&b, "%s\n|---|---|---|---|\n", l.T("meta.md.header"))
	for _, o := range r.Items {
		reason := l.Msg(o.Reason)
		if !o.Fix.IsZero() {
			reason = l.T("es.error.fix", reason, o.Fix)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", l.Msg(o.Kind.TitleMsg()), mdCell(o.Name), l.T("meta.result."+o.Result), mdCell(reason))
	}
	var notes []string
	for _, o := range r.Items {
		for _, n := range o.Notes {
			notes = append(notes, "- "+l.T("meta.md.note", o.Kind.TitleMsg(), o.Name, n))
		}
		if o.Result == MetaSkipped {
			for _, d := range o.Diff {
				notes = append(notes, "- "+l.T("meta.md.differs", o.Kind.TitleMsg(), o.Name, d))
			}
		}
	}
	if len(notes) > 0 {
		fmt.Fprintf(&b, "\n%s\n\n%s\n", l.T("meta.md.notes"), strings.Join(notes, "\n"))
	}
	return b.String()
}

func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
