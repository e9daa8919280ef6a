// Package indextable is the index picker's table: every source index, the filter, the sort order, the
// selection, the running totals, and the header and rows as the screen draws them.
package indextable

import (
	"path/filepath"
	"sort"
	"strings"

	"github.com/esmigrate/esmigrate/esclient"
)

// Model is the index picker's data: every source index, the filter, the sort order, the selection and the
// running totals. It is built for 10,000 rows: a keystroke costs one pass over the rows at most (filtering),
// toggling costs O(1), and only the visible window is ever rendered.
type Model struct {
	rows       []tableRow
	order      []int // rows sorted by the current column
	visible    []int // order filtered (rows indices)
	filter     string
	sortCol    int
	sortDesc   bool
	showHidden bool
	cursor     int
	offset     int

	selCount  int
	selBytes  int64
	selDocs   int64
	selShards int
	selClosed int
}

type tableRow struct {
	ix       esclient.Index
	lower    string // lower-case name, for the filter
	aliases  string
	selected bool
	special  bool // system or hidden
}

// Sortable columns.
const (
	ColName = iota
	ColHealth
	ColStatus
	ColDocs
	ColSize
	ColShards
	ColAliases
	NumCols
)

// New is the table of all indices, with those selected chosen.
func New(all []esclient.Index, selected func(esclient.Index) bool) *Model {
	t := &Model{rows: make([]tableRow, len(all))}
	for i, ix := range all {
		r := tableRow{ix: ix, lower: strings.ToLower(ix.Name), aliases: strings.Join(ix.Aliases, ","), special: ix.Hidden || ix.System}
		t.rows[i] = r
		if selected != nil && selected(ix) {
			t.set(i, true)
		}
	}
	t.sort()
	return t
}

func (t *Model) set(i int, on bool) {
	r := &t.rows[i]
	if r.selected == on {
		return
	}
	r.selected = on
	d := 1
	if !on {
		d = -1
	}
	t.selCount += d
	t.selBytes += int64(d) * r.ix.PrimaryBytes
	t.selDocs += int64(d) * max(r.ix.Docs, 0)
	t.selShards += d * r.ix.Primaries
	if r.ix.Closed() {
		t.selClosed += d
	}
}

func (t *Model) less(a, b int) bool {
	x, y := &t.rows[a].ix, &t.rows[b].ix
	var c int
	switch t.sortCol {
	case ColHealth:
		c = strings.Compare(x.Health, y.Health)
	case ColStatus:
		c = strings.Compare(x.Status, y.Status)
	case ColDocs:
		c = cmp64(x.Docs, y.Docs)
	case ColSize:
		c = cmp64(x.PrimaryBytes, y.PrimaryBytes)
	case ColShards:
		c = cmp64(int64(x.Primaries), int64(y.Primaries))
	case ColAliases:
		c = strings.Compare(t.rows[a].aliases, t.rows[b].aliases)
	}
	if c == 0 {
		c = strings.Compare(x.Name, y.Name)
		if t.sortDesc && t.sortCol != ColName {
			c = -c // ties stay by name ascending
		}
	}
	if t.sortDesc {
		return c > 0
	}
	return c < 0
}

func cmp64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// sort orders the rows by the current column and re-applies the filter.
func (t *Model) sort() {
	if cap(t.order) < len(t.rows) {
		t.order = make([]int, len(t.rows))
	}
	t.order = t.order[:len(t.rows)]
	for i := range t.order {
		t.order[i] = i
	}
	sort.SliceStable(t.order, func(i, j int) bool { return t.less(t.order[i], t.order[j]) })
	t.refilter(false)
}

// refilter recomputes the visible rows. narrow: the filter only grew, so only visible rows can match.
func (t *Model) refilter(narrow bool) {
	f := strings.ToLower(t.filter)
	src := t.order
	if narrow {
		src = t.visible
	}
	out := t.visible[:0]
	if !narrow {
		if cap(t.visible) < len(t.order) {
			out = make([]int, 0, len(t.order))
		}
	}
	for _, i := range src {
		r := &t.rows[i]
		if r.special && !t.showHidden && !r.selected {
			continue
		}
		if f != "" && !strings.Contains(r.lower, f) {
			continue
		}
		out = append(out, i)
	}
	t.visible = out
	t.clampCursor()
}

func (t *Model) clampCursor() {
	if t.cursor >= len(t.visible) {
		t.cursor = len(t.visible) - 1
	}
	if t.cursor < 0 {
		t.cursor = 0
	}
}

// SetFilter changes the filter text.
func (t *Model) SetFilter(f string) {
	narrow := strings.HasPrefix(strings.ToLower(f), strings.ToLower(t.filter)) && t.filter != ""
	t.filter = f
	t.refilter(narrow)
	t.cursor, t.offset = 0, 0
}

// Toggle selects or unselects the row under the cursor.
func (t *Model) Toggle() {
	if len(t.visible) == 0 {
		return
	}
	i := t.visible[t.cursor]
	t.set(i, !t.rows[i].selected)
}

// ToggleVisible selects every visible row, or unselects them all when all are selected.
func (t *Model) ToggleVisible() {
	all := true
	for _, i := range t.visible {
		all = all && t.rows[i].selected
	}
	for _, i := range t.visible {
		t.set(i, !all)
	}
}

// SelectGlob selects every row whose name matches the pattern (system and hidden ones only when shown).
func (t *Model) SelectGlob(pat string) (int, error) {
	if _, err := filepath.Match(pat, ""); err != nil {
		return 0, err
	}
	n := 0
	for i := range t.rows {
		r := &t.rows[i]
		if r.special && !t.showHidden {
			continue
		}
		if ok, _ := filepath.Match(pat, r.ix.Name); ok {
			t.set(i, true)
			n++
		}
	}
	t.refilter(false)
	return n, nil
}

// SortBy sets the sort column (and direction).
func (t *Model) SortBy(col int, desc bool) {
	t.sortCol, t.sortDesc = (col+NumCols)%NumCols, desc
	t.sort()
}

// ShowHidden shows or hides system and hidden indices (selected ones stay shown).
func (t *Model) ShowHidden(on bool) {
	t.showHidden = on
	t.refilter(false)
}

// Move moves the cursor by d rows, keeping it inside a window of h rows.
func (t *Model) Move(d, h int) {
	t.cursor += d
	t.clampCursor()
	t.Scroll(h)
}

// Scroll keeps the cursor inside a window of h rows.
func (t *Model) Scroll(h int) {
	if t.cursor < t.offset {
		t.offset = t.cursor
	}
	if h > 0 && t.cursor >= t.offset+h {
		t.offset = t.cursor - h + 1
	}
	if t.offset < 0 {
		t.offset = 0
	}
}

// Selected lists the selected indices in name order.
func (t *Model) Selected() []esclient.Index {
	out := make([]esclient.Index, 0, t.selCount)
	for i := range t.rows {
		if t.rows[i].selected {
			out = append(out, t.rows[i].ix)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Filter is the filter text.
func (t *Model) Filter() string { return t.filter }

// SortCol is the sort column and SortDesc its direction.
func (t *Model) SortCol() int { return t.sortCol }

// SortDesc tells whether the sort is descending.
func (t *Model) SortDesc() bool { return t.sortDesc }

// Hidden tells whether system and hidden indices are shown.
func (t *Model) Hidden() bool { return t.showHidden }

// Shown is how many rows the filter shows, of Len.
func (t *Model) Shown() int { return len(t.visible) }

// Len is how many indices the table has.
func (t *Model) Len() int { return len(t.rows) }

// Cursor is the cursor's row among those shown.
func (t *Model) Cursor() int { return t.cursor }

// Totals are the selection's: indices, primary bytes, documents, primary shards, and closed indices among them.
func (t *Model) Totals() (count int, bytes, docs int64, shards, closed int) {
	return t.selCount, t.selBytes, t.selDocs, t.selShards, t.selClosed
}

// At is the index shown at row i (tests).
func (t *Model) At(i int) esclient.Index { return t.rows[t.visible[i]].ix }
