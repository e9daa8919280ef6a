package steps

import (
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/i18n"
)

// Selection is the outcome of matching the plan's names and patterns against the source's indices.
type Selection struct {
	Indices  []esclient.Index // what will be migrated
	Skipped  []Skip           // matched but left out, and why
	Missing  []string         // names (not patterns) that matched nothing
	Patterns map[string]int   // how many indices each pattern matched
}

// Skip is an index left out of the selection.
type Skip struct {
	Index     string
	Reason    string   // English
	ReasonMsg i18n.Msg `json:",omitzero"`
}

// skip is an index left out, and why.
func skip(index string, why i18n.Msg) Skip {
	return Skip{Index: index, Reason: why.String(), ReasonMsg: why}
}

// Why is the reason as a message (the English as it is in a state file written without one).
func (s Skip) Why() i18n.Msg {
	if !s.ReasonMsg.IsZero() {
		return s.ReasonMsg
	}
	return i18n.Text(s.Reason)
}

// Select applies the plan's names, patterns and exclusions to the source's indices. Hidden and system indices
// match a pattern only when the plan includes them; naming one explicitly always selects it. Closed indices are
// skipped with a reason: a snapshot cannot read a closed index's data unless it is opened, which esmigrate never
// does on the source.
func Select(all []esclient.Index, p Plan) Selection {
	sel := Selection{Patterns: map[string]int{}}
	chosen := map[string]bool{}
	for _, pat := range p.Indices {
		isPattern := strings.ContainsAny(pat, "*?[")
		matched := 0
		for _, ix := range all {
			ok, _ := filepath.Match(pat, ix.Name)
			if !ok {
				continue
			}
			if isPattern && (ix.Hidden && !p.IncludeHidden || ix.System && !p.IncludeSystem) {
				continue
			}
			matched++
			chosen[ix.Name] = true
		}
		sel.Patterns[pat] = matched
		if matched == 0 && !isPattern {
			sel.Missing = append(sel.Missing, pat)
		}
	}
	for _, ix := range all {
		if !chosen[ix.Name] {
			continue
		}
		excluded := false
		for _, ex := range p.Exclude {
			if ok, _ := filepath.Match(ex, ix.Name); ok {
				excluded = true
			}
		}
		switch {
		case excluded:
			sel.Skipped = append(sel.Skipped, skip(ix.Name, i18n.M("select.excluded")))
		case ix.Closed():
			sel.Skipped = append(sel.Skipped, skip(ix.Name, closedReason))
		default:
			sel.Indices = append(sel.Indices, ix)
		}
	}
	return sel
}

// closedReason is why a closed index is left out.
var closedReason = i18n.M("select.closed")

// Batch is a group of indices snapshotted and restored together.
type Batch struct {
	Number       int              `json:"number"`
	Indices      []esclient.Index `json:"indices"`
	PrimaryBytes int64            `json:"primary_bytes"`
	Shards       int              `json:"shards"`
}

// Names lists the batch's index names.
func (b Batch) Names() []string {
	out := make([]string, len(b.Indices))
	for i, ix := range b.Indices {
		out[i] = ix.Name
	}
	return out
}

// PlanBatches splits indices into batches whose primary size stays under maxBytes, largest first (first-fit
// decreasing: big indices start early, small ones fill the gaps). An index bigger than the cap gets a batch of
// its own: an index cannot be split.
func PlanBatches(indices []esclient.Index, maxBytes int64) []Batch {
	sorted := append([]esclient.Index(nil), indices...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if sorted[i].PrimaryBytes != sorted[j].PrimaryBytes {
			return sorted[i].PrimaryBytes > sorted[j].PrimaryBytes
		}
		return sorted[i].Name < sorted[j].Name
	})
	var batches []Batch
	for _, ix := range sorted {
		placed := false
		for i := range batches {
			if batches[i].PrimaryBytes+ix.PrimaryBytes <= maxBytes {
				batches[i].Indices = append(batches[i].Indices, ix)
				batches[i].PrimaryBytes += ix.PrimaryBytes
				batches[i].Shards += ix.Primaries
				placed = true
				break
			}
		}
		if !placed {
			batches = append(batches, Batch{Indices: []esclient.Index{ix}, PrimaryBytes: ix.PrimaryBytes, Shards: ix.Primaries})
		}
	}
	for i := range batches {
		batches[i].Number = i + 1
	}
	return batches
}

// javaGroupRE finds $1-style group references in a rename replacement (Java syntax, as Elasticsearch uses).
var javaGroupRE = regexp.MustCompile(`\$(\d+)`)

// TargetName is the name an index gets on the target under the plan's rename rule. Elasticsearch applies a Java
// regular expression with replaceAll; Go's RE2 agrees with Java on the patterns people use for this
// ((.+), logs-(.*), prefixes and suffixes).
func TargetName(name string, r RestorePlan) string {
	if r.RenamePattern == "" {
		return name
	}
	re, err := regexp.Compile(r.RenamePattern)
	if err != nil {
		return name
	}
	repl := javaGroupRE.ReplaceAllString(r.RenameReplacement, "$${$1}")
	return re.ReplaceAllString(name, repl)
}

// RenameCollisions finds indices that the rename maps to the same target name.
func RenameCollisions(indices []esclient.Index, r RestorePlan) map[string][]string {
	by := map[string][]string{}
	for _, ix := range indices {
		t := TargetName(ix.Name, r)
		by[t] = append(by[t], ix.Name)
	}
	out := map[string][]string{}
	for t, srcs := range by {
		if len(srcs) > 1 {
			out[t] = srcs
		}
	}
	return out
}

// BatchPreview is what a run of plan p makes of these selected indices, by the planner's one policy (the
// wizard's preview and the run both ask it): the indices a snapshot cannot take (closed ones) are left out
// with why, and the rest go into batches of at most the plan's batch_max_size, or the default plan's when the
// plan's does not parse.
func BatchPreview(p Plan, selected []esclient.Index) ([]Batch, []Skip) {
	maxBytes, err := ParseBytes(p.BatchMaxSize)
	if err != nil || maxBytes <= 0 {
		maxBytes, _ = ParseBytes(DefaultPlan().BatchMaxSize)
	}
	open := make([]esclient.Index, 0, len(selected))
	var skipped []Skip
	for _, ix := range selected {
		if ix.Closed() {
			skipped = append(skipped, skip(ix.Name, closedReason))
			continue
		}
		open = append(open, ix)
	}
	return PlanBatches(open, maxBytes), skipped
}
