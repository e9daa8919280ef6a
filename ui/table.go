package ui

import (
	"path/filepath"
	"sort"
	"strings"

	"github.com/esmigrate/esmigrate/esclient"
)

// indexTable is the index picker's data: every source index, the filter, the sort order, the selection and the
// running totals. It is built for 10,000 rows: a keystroke costs one pass over the rows at most (filtering),
// toggling costs O(1), and only the visible window is ever rendered.
type indexTable struct {
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
	colName = iota
	colHealth
	colStatus
	colDocs
	colSize
	colShards
	colAliases
	numCols
)

func newIndexTable(all []esclient.Index, selected func(esclient.Index) bool) *indexTable {
	t := &indexTable{rows: make([]tableRow, len(all))}
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

func (t *indexTable) set(i int, on bool) {
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
	t.selDocs += int64(d) * r.ix.Docs
	t.selShards += d * r.ix.Primaries
	if r.ix.Closed() {
		t.selClosed += d
	}
}

func (t *indexTable) less(a, b int) bool {
	x, y := &t.rows[a].ix, &t.rows[b].ix
	var c int
	switch t.sortCol {
	case colHealth:
		c = strings.Compare(x.Health, y.Health)
	case colStatus:
		c = strings.Compare(x.Status, y.Status)
	case colDocs:
		c = cmp64(x.Docs, y.Docs)
	case colSize:
		c = cmp64(x.PrimaryBytes, y.PrimaryBytes)
	case colShards:
		c = cmp64(int64(x.Primaries), int64(y.Primaries))
	case colAliases:
		c = strings.Compare(t.rows[a].aliases, t.rows[b].aliases)
	}
	if c == 0 {
		c = strings.Compare(x.Name, y.Name)
		if t.sortDesc && t.sortCol != colName {
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
func (t *indexTable) sort() {
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
func (t *indexTable) refilter(narrow bool) {
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

func (t *indexTable) clampCursor() {
	if t.cursor >= len(t.visible) {
		t.cursor = len(t.visible) - 1
	}
	if t.cursor < 0 {
		t.cursor = 0
	}
}

// SetFilter changes the filter text.
func (t *indexTable) SetFilter(f string) {
	narrow := strings.HasPrefix(strings.ToLower(f), strings.ToLower(t.filter)) && t.filter != ""
	t.filter = f
	t.refilter(narrow)
	t.cursor, t.offset = 0, 0
}

// Toggle selects or unselects the row under the cursor.
func (t *indexTable) Toggle() {
	if len(t.visible) == 0 {
		return
	}
	i := t.visible[t.cursor]
	t.set(i, !t.rows[i].selected)
}

// ToggleVisible selects every visible row, or unselects them all when all are selected.
func (t *indexTable) ToggleVisible() {
	all := true
	for _, i := range t.visible {
		all = all && t.rows[i].selected
	}
	for _, i := range t.visible {
		t.set(i, !all)
	}
}

// SelectGlob selects every row whose name matches the pattern (system and hidden ones only when shown).
func (t *indexTable) SelectGlob(pat string) (int, error) {
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
func (t *indexTable) SortBy(col int, desc bool) {
	t.sortCol, t.sortDesc = (col+numCols)%numCols, desc
	t.sort()
}

// ShowHidden shows or hides system and hidden indices (selected ones stay shown).
func (t *indexTable) ShowHidden(on bool) {
	t.showHidden = on
	t.refilter(false)
}

// Move moves the cursor by d rows, keeping it inside a window of h rows.
func (t *indexTable) Move(d, h int) {
	t.cursor += d
	t.clampCursor()
	t.scroll(h)
}

func (t *indexTable) scroll(h int) {
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
func (t *indexTable) Selected() []esclient.Index {
	out := make([]esclient.Index, 0, t.selCount)
	for i := range t.rows {
		if t.rows[i].selected {
			out = append(out, t.rows[i].ix)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
