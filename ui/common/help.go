package common

import (
	"strings"

	"charm.land/bubbles/v2/key"
)

// FullHelp is the ? overlay: every key of the groups, each "key  what it does", flowed into as many columns as
// the width takes and as many rows as that needs (bubbles' help.FullHelpView puts each group in one column
// side by side and cuts what passes the right edge: at 80 columns a screen's keys did not all show). A binding
// that appears in two groups is listed once; an entry wider than the line wraps.
func (c *Common) FullHelp(groups [][]key.Binding, w int) string {
	st := c.Styles.Help
	type entry struct{ k, d string }
	var entries []entry
	seen := map[string]bool{}
	keyW := 0
	for _, g := range groups {
		for _, b := range g {
			if !b.Enabled() || b.Help().Key == "" {
				continue
			}
			h := b.Help()
			id := h.Key + "\x00" + h.Desc
			if seen[id] {
				continue
			}
			seen[id] = true
			entries = append(entries, entry{c.ASCII(h.Key), c.ASCII(h.Desc)})
			keyW = max(keyW, Width(c.ASCII(h.Key)))
		}
	}
	if len(entries) == 0 {
		return ""
	}
	cellW := 0
	for _, e := range entries {
		cellW = max(cellW, keyW+2+Width(e.d))
	}
	const gap = 3
	cols := max(1, (w+gap)/(cellW+gap))
	if cols == 1 {
		cellW = w
	}
	rows := (len(entries) + cols - 1) / cols
	var lines []string
	for r := range rows {
		var cells []string
		for col := range cols {
			i := col*rows + r // column by column: related keys (the groups' order) stay together
			if i >= len(entries) {
				break
			}
			e := entries[i]
			text := st.FullKey.Render(Fit(e.k, keyW, "")) + "  " + st.FullDesc.Render(e.d)
			if cols == 1 {
				// One column: a long description wraps under itself.
				wrapped := strings.Split(Wrap(e.d, max(w-keyW-2, 10)), "\n")
				text = st.FullKey.Render(Fit(e.k, keyW, "")) + "  " + st.FullDesc.Render(wrapped[0])
				for _, more := range wrapped[1:] {
					text += "\n" + strings.Repeat(" ", keyW+2) + st.FullDesc.Render(more)
				}
				cells = append(cells, text)
				continue
			}
			cells = append(cells, Fit(text, cellW, ""))
		}
		lines = append(lines, strings.TrimRight(strings.Join(cells, strings.Repeat(" ", gap)), " "))
	}
	return strings.Join(lines, "\n")
}
