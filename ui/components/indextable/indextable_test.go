package indextable

import (
	"context"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/ui/common"
)

func sample() []esclient.Index {
	return []esclient.Index{
		{Name: "logs-2026.11.01", Health: "yellow", Status: "open", Docs: 12345678, PrimaryBytes: 1023 << 20, Primaries: 5, Aliases: []string{"logs"}},
		{Name: "articles", Health: "green", Status: "close", Docs: 9046, PrimaryBytes: 1536 << 10, Primaries: 2},
	}
}

// The header fits 80 columns in both languages, every label whole (the Chinese "主分片大小" was cut to
// "主分片大" and pushed the columns off), and the rows line up under it.
func TestHeaderFitsAndLinesUp(t *testing.T) {
	for _, lang := range []string{"en", "zh"} {
		c := common.New(context.Background(), common.Options{Lang: lang, UTF8: true})
		tb := New(sample(), nil)
		for _, w := range []int{80, 120} {
			h := tb.Header(c, w)
			if ansi.StringWidth(h) > w {
				t.Errorf("%s %d: header is %d wide: %q", lang, w, ansi.StringWidth(h), h)
			}
			for _, k := range headerKeys {
				if !strings.Contains(h, c.T(k)) {
					t.Errorf("%s %d: header %q lacks %q", lang, w, h, c.T(k))
				}
			}
			row := ansi.Strip(tb.Row(c, 0, false, w))
			if ansi.StringWidth(row) != ansi.StringWidth(h) {
				t.Errorf("%s %d: row %d wide, header %d:\n%q\n%q", lang, w, ansi.StringWidth(row), ansi.StringWidth(h), h, row)
			}
			// The size column ends where its label ends (right-aligned numbers under a right-aligned label).
			label := c.T("ix.col.size")
			end := ansi.StringWidth(h[:strings.Index(h, label)+len(label)])
			if got := ansi.StringWidth(row[:strings.Index(row, "1023.0mb")+len("1023.0mb")]); got != end && got != end+1 {
				t.Errorf("%s %d: size ends at %d, its label at %d:\n%s\n%s", lang, w, got, end, h, row)
			}
		}
	}
}

// Whichever column sorts, its arrow shows, in both languages, at 80 columns.
func TestSortArrowOnEveryColumn(t *testing.T) {
	for _, lang := range []string{"en", "zh"} {
		c := common.New(context.Background(), common.Options{Lang: lang, UTF8: true})
		tb := New(sample(), nil)
		for col := range NumCols {
			for _, desc := range []bool{false, true} {
				tb.SortBy(col, desc)
				arrow := c.Glyphs.SortUp
				if desc {
					arrow = c.Glyphs.SortDown
				}
				h := tb.Header(c, 80)
				if !strings.Contains(h, c.T(headerKeys[col])+arrow) {
					t.Errorf("%s: sorted by %s (desc %v), the header shows no arrow: %q", lang, c.T(headerKeys[col]), desc, h)
				}
				if ansi.StringWidth(h) > 80 {
					t.Errorf("%s: header %d wide with the arrow on %d", lang, ansi.StringWidth(h), col)
				}
			}
		}
	}
}

func TestSelectionTotals(t *testing.T) {
	tb := New(sample(), func(ix esclient.Index) bool { return ix.Name == "articles" })
	n, bytes, docs, shards, closed := tb.Totals()
	if n != 1 || bytes != 1536<<10 || docs != 9046 || shards != 2 || closed != 1 {
		t.Fatalf("totals %d %d %d %d %d", n, bytes, docs, shards, closed)
	}
}
