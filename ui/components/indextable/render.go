package indextable

import (
	"strconv"

	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/ui/common"
)

// column is one column as drawn: its catalogue label, its width, and whether it is right-aligned (numbers).
type column struct {
	label string
	w     int
	right bool
}

// headerKeys are the columns' catalogue keys, in column order.
var headerKeys = [NumCols]string{"ix.col.name", "ix.col.health", "ix.col.status", "ix.col.docs", "ix.col.size", "ix.col.shards", "ix.col.aliases"}

// minWidths are what the values need: health (yellow), status (close), docs (99,999,999), size (1023.9mb),
// shards, aliases.
var minWidths = [NumCols]int{12, 6, 6, 11, 9, 6, 12}

// checkboxW is "[x] ".
const checkboxW = 4

// columns lays the columns out for width w in the wizard's language: each at least as wide as its label plus
// one cell for the sort arrow (so that the arrow shows on whichever column sorts, in either language), the
// name taking what is left. The aliases get more room on a wide terminal.
func columns(c *common.Common, w int) [NumCols]column {
	var cols [NumCols]column
	fixed := checkboxW
	for i := range cols {
		cols[i] = column{label: c.T(headerKeys[i]), right: i == ColDocs || i == ColSize || i == ColShards}
		cols[i].w = max(minWidths[i], common.Width(cols[i].label)+1)
		if i == ColAliases && w >= 110 {
			cols[i].w = max(cols[i].w, 24)
		}
		if i != ColName {
			fixed += cols[i].w + 1
		}
	}
	cols[ColName].w = max(w-fixed, cols[ColName].w)
	return cols
}

// Header is the table's header line for width w: every column's label, the sort column's with its arrow.
func (t *Model) Header(c *common.Common, w int) string {
	cols := columns(c, w)
	arrow := c.Glyphs.SortUp
	if t.sortDesc {
		arrow = c.Glyphs.SortDown
	}
	line := "    "
	for i, col := range cols {
		label := col.label
		if i == t.sortCol {
			label += arrow
		}
		if col.right {
			line += common.FitRight(label, col.w)
		} else {
			line += common.Fit(label, col.w, "")
		}
		if i < NumCols-1 {
			line += " "
		}
	}
	return line
}

// Row is row i (an index of the rows, not of those shown) for width w: the cursor's row in reverse video, a
// selected one in the selection's color (its box says it without color), system, hidden and closed ones dim.
func (t *Model) Row(c *common.Common, i int, cursor bool, w int) string {
	st, g := c.Styles, c.Glyphs
	cols := columns(c, w)
	r := &t.rows[i]
	box := g.Uncheck
	if r.selected {
		box = g.Check
	}
	health := r.ix.Health
	if health == "" {
		health = "-"
	}
	line := box + " " + common.Fit(c.ASCII(r.ix.Name), cols[ColName].w, g.Ellipsis) + " " +
		common.Fit(health, cols[ColHealth].w, "") + " " + common.Fit(r.ix.Status, cols[ColStatus].w, "") + " " +
		common.FitRight(docCount(r.ix.Docs), cols[ColDocs].w) + " " +
		common.FitRight(steps.HumanBytes(r.ix.PrimaryBytes), cols[ColSize].w) + " " +
		common.FitRight(strconv.Itoa(r.ix.Primaries), cols[ColShards].w) + " " +
		common.Fit(c.ASCII(r.aliases), cols[ColAliases].w, g.Ellipsis)
	switch {
	case cursor:
		return st.Cursor.Render(line)
	case r.selected:
		return st.Selected.Render(line)
	case r.special || r.ix.Closed():
		return st.Subtle.Render(line)
	}
	return line
}

// Render is the header and h rows of width w from the table's scroll position (empty rows below the last).
func (t *Model) Render(c *common.Common, w, h int) []string {
	out := []string{c.Styles.Header.Render(common.Fit(t.Header(c, w), w, ""))}
	n := 0
	for vi := t.offset; vi < len(t.visible) && n < h; vi++ {
		out = append(out, t.Row(c, t.visible[vi], vi == t.cursor, w))
		n++
	}
	for ; n < h; n++ {
		out = append(out, "")
	}
	return out
}

// docCount shows an index's top-level documents (the count the run and the report compare); "-" when the index
// could not be counted (closed, red).
func docCount(n int64) string {
	if n < 0 {
		return "-"
	}
	return common.HumanCount(n)
}
