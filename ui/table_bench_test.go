package ui

import (
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/steps"
)

// manyIndices makes n indices named like a real logging cluster (daily indices of a few services).
func manyIndices(n int) []esclient.Index {
	out := make([]esclient.Index, n)
	services := []string{"nginx", "app", "audit", "metrics", "billing"}
	for i := range out {
		out[i] = esclient.Index{Name: fmt.Sprintf("logs-%s-%04d.%02d.%02d", services[i%len(services)], 2000+i/372, i/31%12+1, i%31+1),
			Health: "green", Status: "open", Docs: int64(i * 37), PrimaryBytes: int64(i%977) << 20, Primaries: 1 + i%3,
			Aliases: []string{"logs"}, Hidden: i%500 == 0}
	}
	return out
}

// indicesModel is the index screen loaded with n indices at 120x40.
func indicesModel(tb testing.TB, n int) *indicesScreen {
	c := NewCommon(nil, "en", true)
	s := &Session{Plan: steps.DefaultPlan()}
	m := newIndices(c, s, &fakeBackend{})
	m.SetSize(120, 37)
	m.SetIndices(manyIndices(n))
	return m
}

func TestIndexTable10k(t *testing.T) {
	m := indicesModel(t, 10000)
	if len(m.t.visible) != 10000-20 {
		t.Fatalf("%d visible (hidden ones left out)", len(m.t.visible))
	}
	for _, r := range "nginx-2003" {
		m.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	if n := len(m.t.visible); n == 0 || n > 200 {
		t.Fatalf("%d visible after the filter", n)
	}
	for _, vi := range m.t.visible {
		if !strings.Contains(m.t.rows[vi].lower, "nginx-2003") {
			t.Fatalf("%s does not match", m.t.rows[vi].ix.Name)
		}
	}
	m.Update(keyMsg("ctrl+t"))
	if m.t.selCount != len(m.t.visible) {
		t.Fatalf("select all visible: %d of %d", m.t.selCount, len(m.t.visible))
	}
	m.Update(keyMsg("ctrl+u"))
	n, err := m.t.SelectGlob("logs-audit-2010.*")
	if err != nil || n == 0 {
		t.Fatalf("glob: %d %v", n, err)
	}
	m.t.SortBy(colSize, true)
	for i := 1; i < len(m.t.visible); i++ {
		a, b := m.t.rows[m.t.visible[i-1]].ix.PrimaryBytes, m.t.rows[m.t.visible[i]].ix.PrimaryBytes
		if a < b {
			t.Fatalf("not sorted by size at %d: %d < %d", i, a, b)
		}
	}
}

// BenchmarkIndexFilterKeystroke: one keystroke typed into the filter of 10,000 indices, with the screen
// re-rendered (what the operator waits for). The filter alternates between growing and shrinking so each
// iteration does a full pass or a narrowing pass.
func BenchmarkIndexFilterKeystroke(b *testing.B) {
	m := indicesModel(b, 10000)
	keys := []tea.KeyPressMsg{{Code: 'n', Text: "n"}, {Code: 'g', Text: "g"}, {Code: tea.KeyBackspace}, {Code: tea.KeyBackspace}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Update(keys[i%len(keys)])
	}
}

// BenchmarkIndexToggleKeystroke: space on a row of 10,000 (running totals, re-render).
func BenchmarkIndexToggleKeystroke(b *testing.B) {
	m := indicesModel(b, 10000)
	space := tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	down := tea.KeyPressMsg{Code: tea.KeyDown}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Update(space)
		m.Update(down)
	}
}

// BenchmarkIndexSelectAllVisible: ctrl+t over all 10,000 rows.
func BenchmarkIndexSelectAllVisible(b *testing.B) {
	m := indicesModel(b, 10000)
	k := keyMsg("ctrl+t")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Update(k)
	}
}

// BenchmarkIndexSort: re-sorting 10,000 rows by another column.
func BenchmarkIndexSort(b *testing.B) {
	m := indicesModel(b, 10000)
	k := keyMsg("right")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Update(k)
	}
}
