package ui

import (
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/ui/components/indextable"
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
	if m.t.Shown() != 10000-20 {
		t.Fatalf("%d visible (hidden ones left out)", m.t.Shown())
	}
	for _, r := range "nginx-2003" {
		m.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	if n := m.t.Shown(); n == 0 || n > 200 {
		t.Fatalf("%d visible after the filter", n)
	}
	for i := range m.t.Shown() {
		if !strings.Contains(m.t.At(i).Name, "nginx-2003") {
			t.Fatalf("%s does not match", m.t.At(i).Name)
		}
	}
	m.Update(keyMsg("ctrl+t"))
	if n, _, _, _, _ := m.t.Totals(); n != m.t.Shown() {
		t.Fatalf("select all visible: %d of %d", n, m.t.Shown())
	}
	m.Update(keyMsg("ctrl+u"))
	n, err := m.t.SelectGlob("logs-audit-2010.*")
	if err != nil || n == 0 {
		t.Fatalf("glob: %d %v", n, err)
	}
	m.t.SortBy(indextable.ColSize, true)
	for i := 1; i < m.t.Shown(); i++ {
		a, b := m.t.At(i-1).PrimaryBytes, m.t.At(i).PrimaryBytes
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
