package steps

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/i18n"
)

// Lifecycle safety: a restored index keeps index.lifecycle.name, and its age counts from its original creation
// (or rollover), not from the restore (elastic/elasticsearch#35561; Elastic's "Restore a managed data stream or
// index"). On the target, ILM resumes the policy at once: an index older than the delete phase's min_age is
// deleted, an index still in a hot phase whose rollover conditions are met rolls over, and a policy missing on
// the target puts the index in ILM's ERROR step (#90119). The pre-flight flags these before anything is restored
// and offers the two documented ways out: restore without the lifecycle settings (ignore_index_settings), or
// pause ILM on the target (POST _ilm/stop) while restoring.

// LifecycleSettings are the index settings ILM keeps on an index: restoring with them in ignore_index_settings
// gives an index no policy manages. Every runner (7.10, 7.17, 8.19, OpenSearch 2.19) accepts them in a restore
// although none of them knows these settings.
var LifecycleSettings = []string{"index.lifecycle.name", "index.lifecycle.rollover_alias",
	"index.lifecycle.origination_date", "index.lifecycle.parse_origination_date", "index.lifecycle.indexing_complete"}

// LifecycleIndex is what the lifecycle check knows of one selected index.
type LifecycleIndex struct {
	Name             string
	Policy           string // index.lifecycle.name
	CreationMS       int64  // index.creation_date
	OriginationMS    int64  // index.lifecycle.origination_date, 0 when unset
	RolloverAlias    string // index.lifecycle.rollover_alias
	IndexingComplete bool   // index.lifecycle.indexing_complete: rolled over already, no rollover again
	Docs             int64
	PrimaryBytes     int64
	Primaries        int
	// Explain is the index's lifecycle state on the source (nil when the source has no ILM): its lifecycle
	// date (creation, rollover or origination: what min_age counts from), its phase, and the definition of the
	// phase it is in, which ILM keeps running even when the policy changes.
	Explain *esclient.ILMExplain
}

// LifecycleInput is everything the lifecycle check decides from.
type LifecycleInput struct {
	Indices []LifecycleIndex
	// TargetNoILM says why the target has no ILM (zero when it has): nothing will run the policies there.
	TargetNoILM i18n.Msg
	// TargetMode is ILM's operation mode on the target: RUNNING, STOPPING or STOPPED (paused).
	TargetMode string
	// TargetPolicies are the target's ILM policies; Copied those the metadata step will create there (with the
	// source's definition).
	TargetPolicies []esclient.MetaItem
	Copied         []esclient.MetaItem
	// WillPause: the run stops ILM on the target before the first restore (restore.pause_ilm).
	WillPause bool
	// IgnoreSettings is the plan's restore.ignore_index_settings.
	IgnoreSettings []string
	Now            time.Time
}

// lifecycleFix is the two documented ways out, in words an operator can act on.
func lifecycleFix() i18n.Msg {
	return i18n.M("lifecycle.fix", strings.Join(LifecycleSettings, ", "))
}

// LifecycleChecks decides the lifecycle findings without any request.
func LifecycleChecks(in LifecycleInput) []Check {
	var managed []LifecycleIndex
	for _, ix := range in.Indices {
		if ix.Policy != "" {
			managed = append(managed, ix)
		}
	}
	title := i18n.M("check.lifecycle")
	if len(managed) == 0 {
		return []Check{newCheck("lifecycle", OK, title, i18n.M("lifecycle.none"), i18n.Msg{})}
	}
	names := func(list []LifecycleIndex) i18n.Msg {
		var s []string
		for _, ix := range list {
			s = append(s, ix.Name)
		}
		return abbreviate(s, 8)
	}
	policies := map[string]bool{}
	for _, ix := range managed {
		policies[ix.Policy] = true
	}
	policyList := sortedKeys(policies)
	if ignoresLifecycle(in.IgnoreSettings) {
		return []Check{newCheck("lifecycle", OK, title, i18n.M("lifecycle.ignored", len(managed), strings.Join(policyList, ", ")), i18n.Msg{})}
	}
	if !in.TargetNoILM.IsZero() {
		return []Check{newCheck("lifecycle", Warn, title,
			i18n.M("lifecycle.noilm", len(managed), strings.Join(policyList, ", "), names(managed), in.TargetNoILM),
			i18n.M("lifecycle.noilm.fix", strings.Join(LifecycleSettings, ", ")))}
	}
	defs := map[string]ilmPolicy{}
	for _, it := range in.TargetPolicies {
		defs[it.Name] = parseILMPolicy(it.Body)
	}
	copied := map[string]bool{}
	for _, it := range in.Copied {
		if _, there := defs[it.Name]; !there {
			defs[it.Name] = parseILMPolicy(it.Body)
			copied[it.Name] = true
		}
	}
	var missing, deleted, rolled []LifecycleIndex
	var deleteWhy, rollWhy, laterWhy []i18n.Msg
	for _, ix := range managed {
		def, ok := defs[ix.Policy]
		if !ok {
			missing = append(missing, ix)
			continue
		}
		v := lifecycleVerdict(ix, def, in.Now)
		switch {
		case !v.rollover.IsZero():
			rolled = append(rolled, ix)
			rollWhy = append(rollWhy, i18n.M("index.reason", ix.Name, v.rollover))
		case !v.delete.IsZero():
			deleted = append(deleted, ix)
			deleteWhy = append(deleteWhy, i18n.M("index.reason", ix.Name, v.delete))
		case !v.phase.IsZero():
			laterWhy = append(laterWhy, i18n.M("index.reason", ix.Name, v.phase))
		}
	}
	paused := in.TargetMode == "STOPPED" || in.TargetMode == "STOPPING" || in.WillPause
	how := i18n.M("lifecycle.mode." + strings.ToLower(in.TargetMode))
	if in.WillPause {
		how = i18n.M("lifecycle.mode.willpause")
	}
	var out []Check
	if len(deleted) > 0 {
		c := newCheck("lifecycle-delete", Fail, i18n.M("check.lifecycle-delete"),
			i18n.M("lifecycle.delete", len(deleted), abbreviateMsgs(deleteWhy, 6)), lifecycleFix())
		if paused {
			c.Status = Warn
			c.setEvidence(i18n.M("lifecycle.delete.paused", how, len(deleted), abbreviateMsgs(deleteWhy, 6)))
			c.setFix(i18n.M("lifecycle.delete.paused.fix"))
		}
		out = append(out, c)
	}
	if len(rolled) > 0 {
		c := newCheck("lifecycle-rollover", Warn, i18n.M("check.lifecycle-rollover"),
			i18n.M("lifecycle.rollover", len(rolled), abbreviateMsgs(rollWhy, 6)), lifecycleFix())
		if paused {
			c.setEvidence(i18n.M("lifecycle.rollover.paused", how, len(rolled), abbreviateMsgs(rollWhy, 6)))
		}
		out = append(out, c)
	}
	if len(missing) > 0 {
		byPolicy := map[string][]string{}
		for _, ix := range missing {
			byPolicy[ix.Policy] = append(byPolicy[ix.Policy], ix.Name)
		}
		var parts []i18n.Msg
		for _, p := range sortedKeys(byPolicy) {
			parts = append(parts, i18n.M("lifecycle.usedby", p, abbreviate(byPolicy[p], 5)))
		}
		out = append(out, newCheck("lifecycle-missing-policy", Warn, i18n.M("check.lifecycle-missing-policy"),
			i18n.M("lifecycle.missing", i18n.List("list.semi", parts)), i18n.M("lifecycle.missing.fix", lifecycleFix())))
	}
	if len(out) == 0 {
		ev := []i18n.Msg{i18n.M("lifecycle.ok", len(managed), strings.Join(policyList, ", "))}
		if len(copied) > 0 {
			ev = append(ev, i18n.M("lifecycle.copied", strings.Join(sortedKeys(copied), ", ")))
		}
		if len(laterWhy) > 0 {
			ev = append(ev, i18n.M("lifecycle.later", abbreviateMsgs(laterWhy, 5)))
		}
		out = append(out, newCheck("lifecycle", OK, title, i18n.List("list.semi", ev), i18n.Msg{}))
	}
	return out
}

// abbreviate is a list of names, cut after max with how many more there are.
func abbreviate(list []string, max int) i18n.Msg {
	if len(list) <= max {
		return i18n.Name(strings.Join(list, ", "))
	}
	return i18n.M("list.more", strings.Join(list[:max], ", "), len(list)-max)
}

// abbreviateMsgs is abbreviate for sentences.
func abbreviateMsgs(list []i18n.Msg, max int) i18n.Msg {
	if len(list) <= max {
		return i18n.List("list.comma", list)
	}
	return i18n.M("list.more", i18n.List("list.comma", list[:max]), len(list)-max)
}

// Lifecycle remedies: what a plan does about the lifecycle of the restored indices (the wizard's choice).
const (
	LifecycleKeep   = "keep"   // restore the indices with their lifecycle settings
	LifecycleIgnore = "ignore" // restore them without (LifecycleSettings in restore.ignore_index_settings)
	LifecyclePause  = "pause"  // stop ILM on the target before the first restore (restore.pause_ilm)
)

// LifecycleRemedy is the remedy a plan applies.
func LifecycleRemedy(p Plan) string {
	switch {
	case ignoresLifecycle(p.Restore.IgnoreIndexSettings):
		return LifecycleIgnore
	case p.Restore.PauseILM:
		return LifecyclePause
	}
	return LifecycleKeep
}

// WithLifecycleRemedy is the plan with a remedy applied: ignore adds LifecycleSettings to
// ignore_index_settings (and keep or pause takes them out again), pause sets restore.pause_ilm. Other
// entries of ignore_index_settings stay.
func WithLifecycleRemedy(p Plan, remedy string) Plan {
	var kept []string
	for _, s := range p.Restore.IgnoreIndexSettings {
		if !slices.Contains(LifecycleSettings, s) {
			kept = append(kept, s)
		}
	}
	p.Restore.PauseILM = remedy == LifecyclePause
	if remedy == LifecycleIgnore {
		kept = append(kept, LifecycleSettings...)
	}
	p.Restore.IgnoreIndexSettings = kept
	return p
}

// ignoresLifecycle tells whether a restore's ignore_index_settings drops index.lifecycle.name (by name or by a
// wildcard, which the restore API accepts).
func ignoresLifecycle(ignore []string) bool {
	for _, s := range ignore {
		if simpleMatch(strings.TrimSpace(s), "index.lifecycle.name") {
			return true
		}
	}
	return false
}

// ilmPhaseOrder is the order ILM goes through phases.
var ilmPhaseOrder = []string{"hot", "warm", "cold", "frozen", "delete"}

type ilmPhase struct {
	name    string
	minAge  time.Duration
	actions map[string]any
}

type ilmPolicy struct{ phases []ilmPhase }

func parseILMPolicy(body map[string]any) ilmPolicy {
	var p ilmPolicy
	phases, _ := dig(body, "policy", "phases").(map[string]any)
	for _, name := range ilmPhaseOrder {
		ph, ok := phases[name].(map[string]any)
		if !ok {
			continue
		}
		p.phases = append(p.phases, parseILMPhase(name, ph))
	}
	return p
}

func parseILMPhase(name string, ph map[string]any) ilmPhase {
	age, _ := ParseTimeValue(fmt.Sprint(ph["min_age"]))
	actions, _ := ph["actions"].(map[string]any)
	return ilmPhase{name: name, minAge: age, actions: actions}
}

type verdict struct {
	delete   i18n.Msg // why ILM deletes the index at once
	rollover i18n.Msg // why ILM rolls it over at once
	phase    i18n.Msg // another phase it enters at once
}

// lifecycleVerdict applies ILM's rules to one restored index: the phase it is in keeps running (with the
// definition ILM cached when the index entered it); a hot phase with a rollover action holds the index until
// the rollover happened (then the age counts from the rollover); otherwise the index moves on to the last
// phase whose min_age its age has reached.
func lifecycleVerdict(ix LifecycleIndex, p ilmPolicy, now time.Time) verdict {
	var v verdict
	lifeMS := ix.CreationMS
	if ix.OriginationMS > 0 {
		lifeMS = ix.OriginationMS
	}
	phase := ""
	var current *ilmPhase
	if ix.Explain != nil {
		if ix.Explain.LifecycleMS > 0 {
			lifeMS = ix.Explain.LifecycleMS
		}
		phase = ix.Explain.Phase
		if d := ix.Explain.PhaseDefinition; d != nil {
			ph := parseILMPhase(phase, d)
			current = &ph
		}
	}
	if current == nil && phase != "" {
		for i := range p.phases {
			if p.phases[i].name == phase {
				current = &p.phases[i]
			}
		}
	}
	age := now.Sub(time.UnixMilli(lifeMS))
	// Still to roll over: the hot phase (or the new phase before it) with a rollover action.
	if !ix.IndexingComplete && (phase == "" || phase == "new" || phase == "hot") {
		hot := current
		if hot == nil || hot.name != "hot" {
			hot = nil
			for i := range p.phases {
				if p.phases[i].name == "hot" {
					hot = &p.phases[i]
				}
			}
		}
		if hot != nil {
			if r, ok := hot.actions["rollover"].(map[string]any); ok {
				created := ix.CreationMS
				if created == 0 && ix.Explain != nil {
					created = ix.Explain.CreationMS
				}
				if created == 0 {
					created = lifeMS
				}
				if why := rolloverDue(r, ix, now.Sub(time.UnixMilli(created))); !why.IsZero() {
					v.rollover = why
				}
				return v // ILM stays in the hot phase until the rollover happened
			}
		}
	}
	var reached *ilmPhase
	for i := range p.phases {
		if p.phases[i].minAge <= age && phaseRank(p.phases[i].name) > phaseRank(phase) {
			reached = &p.phases[i]
		}
	}
	if reached == nil {
		return v
	}
	if _, del := reached.actions["delete"]; del || reached.name == "delete" {
		v.delete = i18n.M("lifecycle.v.delete", humanAge(age), humanAge(reached.minAge))
		return v
	}
	var acts []string
	for a := range reached.actions {
		acts = append(acts, a)
	}
	sort.Strings(acts)
	v.phase = i18n.M("lifecycle.v.phase", humanAge(age), reached.name, humanAge(reached.minAge), strings.Join(acts, ", "))
	return v
}

func phaseRank(p string) int {
	for i, x := range ilmPhaseOrder {
		if x == p {
			return i
		}
	}
	return -1 // "", "new": before every phase
}

// rolloverDue tells whether a rollover action's conditions hold for the index as restored: any max_* condition
// met, and every min_* condition met (ILM's rule since 8.4). Shard-level conditions are estimated from the
// index's totals divided by its primaries.
func rolloverDue(r map[string]any, ix LifecycleIndex, sinceCreation time.Duration) i18n.Msg {
	prim := int64(ix.Primaries)
	if prim < 1 {
		prim = 1
	}
	var met []i18n.Msg
	minOK := true
	for _, k := range sortedKeys(r) {
		val := fmt.Sprint(r[k])
		var ok bool
		var what i18n.Msg
		switch strings.TrimPrefix(strings.TrimPrefix(k, "max_"), "min_") {
		case "age":
			d, err := ParseTimeValue(val)
			ok, what = err == nil && sinceCreation >= d, i18n.M("lifecycle.r.age", k, val, humanAge(sinceCreation))
		case "docs":
			n, err := strconv.ParseInt(val, 10, 64)
			ok, what = err == nil && ix.Docs >= n, i18n.M("lifecycle.r.docs", k, val, ix.Docs)
		case "size":
			n, err := ParseBytes(val)
			ok, what = err == nil && ix.PrimaryBytes >= n, i18n.M("lifecycle.r.size", k, val, HumanBytes(ix.PrimaryBytes))
		case "primary_shard_size":
			n, err := ParseBytes(val)
			ok, what = err == nil && ix.PrimaryBytes/prim >= n, i18n.M("lifecycle.r.shardsize", k, val, HumanBytes(ix.PrimaryBytes/prim))
		case "primary_shard_docs":
			n, err := strconv.ParseInt(val, 10, 64)
			ok, what = err == nil && ix.Docs/prim >= n, i18n.M("lifecycle.r.sharddocs", k, val, ix.Docs/prim)
		default:
			continue
		}
		switch {
		case strings.HasPrefix(k, "min_"):
			minOK = minOK && ok
		case ok:
			met = append(met, what)
		}
	}
	if len(met) == 0 || !minOK {
		return i18n.Msg{}
	}
	return i18n.List("list.semi", met)
}

var timeValueRE = regexp.MustCompile(`^\s*(-?[0-9]+(?:\.[0-9]+)?)\s*(nanos|micros|ms|s|m|h|d)\s*$`)

// ParseTimeValue reads Elasticsearch's time units (30d, 12h, 0ms, 1.5h, 500micros). Hand-written: Go's
// time.ParseDuration has no "d" and spells micro- and nanoseconds otherwise.
func ParseTimeValue(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "<nil>" || s == "-1" || s == "0" {
		return 0, nil
	}
	m := timeValueRE.FindStringSubmatch(strings.ToLower(s))
	if m == nil {
		return 0, i18n.Errorf("lifecycle.timevalue", s)
	}
	f, _ := strconv.ParseFloat(m[1], 64)
	unit := map[string]time.Duration{"nanos": time.Nanosecond, "micros": time.Microsecond, "ms": time.Millisecond,
		"s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour}[m[2]]
	return time.Duration(f * float64(unit)), nil
}

func humanAge(d time.Duration) string {
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d >= 48*time.Hour:
		return fmt.Sprintf("%.1fd", d.Hours()/24)
	case d >= time.Hour:
		return fmt.Sprintf("%.0fh", d.Hours())
	case d >= time.Minute:
		return fmt.Sprintf("%.0fm", d.Minutes())
	}
	return d.Round(time.Second).String()
}

// LifecycleChecks gathers what the lifecycle check needs from both clusters (the source through its guard) and
// decides. inv, when given, tells which policies the metadata step will copy.
func (e *Engine) LifecycleChecks(ctx context.Context, src, dst ClusterSummary, sel Selection, inv *MetadataInventory) []Check {
	var out []Check
	add := func(c Check) { out = append(out, e.report(ctx, c)) }
	fail := func(err error) []Check {
		add(notRun("lifecycle", i18n.M("check.lifecycle"), err))
		return out
	}
	in, err := e.lifecycleInput(ctx, src, dst, sel, inv)
	if err != nil {
		return fail(err)
	}
	for _, c := range LifecycleChecks(in) {
		add(c)
	}
	return out
}

func (e *Engine) lifecycleInput(ctx context.Context, src, dst ClusterSummary, sel Selection, inv *MetadataInventory) (LifecycleInput, error) {
	in := LifecycleInput{IgnoreSettings: e.plan.Restore.IgnoreIndexSettings, Now: e.opts.Now()}
	settings, err := e.src.IndexSettingsNamed(ctx, namesOf(sel.Indices), "index.lifecycle.*", "index.creation_date")
	if err != nil {
		return in, err
	}
	var managed []string
	for _, ix := range sel.Indices {
		s := settings[ix.Name]
		li := LifecycleIndex{Name: ix.Name, Policy: s["index.lifecycle.name"], RolloverAlias: s["index.lifecycle.rollover_alias"],
			IndexingComplete: s["index.lifecycle.indexing_complete"] == "true", Docs: ix.Docs, PrimaryBytes: ix.PrimaryBytes, Primaries: ix.Primaries}
		li.CreationMS, _ = strconv.ParseInt(s["index.creation_date"], 10, 64)
		li.OriginationMS, _ = strconv.ParseInt(s["index.lifecycle.origination_date"], 10, 64)
		if li.Policy != "" {
			managed = append(managed, ix.Name)
		}
		in.Indices = append(in.Indices, li)
	}
	if len(managed) == 0 {
		return in, nil // nothing more to ask either cluster
	}
	// The source's own view of each index's lifecycle (date, phase, cached phase definition), when it has ILM.
	if src.Info.Distribution != esclient.OpenSearch {
		explain, err := e.src.ExplainLifecycle(ctx, managed)
		var na *esclient.UnavailableError
		switch {
		case errors.As(err, &na):
		case err != nil:
			return in, err
		default:
			for i := range in.Indices {
				if x, ok := explain[in.Indices[i].Name]; ok && x.Managed {
					in.Indices[i].Explain = &x
				}
			}
		}
	}
	if dst.Info.Distribution == esclient.OpenSearch {
		in.TargetNoILM = i18n.M("es.meta.noilm")
		return in, nil
	}
	mode, err := e.dst.ILMStatus(ctx)
	var na *esclient.UnavailableError
	switch {
	case errors.As(err, &na):
		in.TargetNoILM = na.Reason
		return in, nil
	case err != nil:
		return in, err
	}
	in.TargetMode = mode
	in.WillPause = e.plan.Restore.PauseILM && mode != "STOPPED" && mode != "STOPPING"
	if in.TargetPolicies, err = e.dst.MetaItems(ctx, esclient.MetaILMPolicy); err != nil {
		return in, err
	}
	if inv != nil {
		for _, en := range inv.Entries {
			if en.Kind == esclient.MetaILMPolicy && en.Selected && en.State == MetaAbsent {
				in.Copied = append(in.Copied, en.Put)
			}
		}
	}
	return in, nil
}

// PauseLifecycle pauses ILM on the target (POST _ilm/stop), shown as curl; a dry run sends nothing. A run sends
// it before the first restore when the plan says restore.pause_ilm (the wizard sets it after a typed
// confirmation: it pauses every policy of the target, and SLM with it).
func (e *Engine) PauseLifecycle(ctx context.Context) error {
	return e.request(ctx, e.dst, PhaseMetadata, 0, i18n.M("req.stopilm"), esclient.StopILMRequest())
}
