package ui

import (
	"charm.land/bubbles/v2/help"
	"charm.land/huh/v2"
	"charm.land/lipgloss/v2"
)

// All styles of the wizard, in one place. Only the 16 ANSI colors are used: over SSH only TERM crosses, and
// 16 colors look right on every terminal and theme. With NO_COLOR (or a terminal without colors) the renderer
// drops the colors (colorProfile in ui.go); nothing is told by color alone (every status has a glyph and a word).

// Styles are the wizard's styles.
type Styles struct {
	Title, Step, StepActive, StepDone lipgloss.Style
	Subtle, Bold, Error, Warn, OK     lipgloss.Style
	Header, Selected, Cursor          lipgloss.Style
	Box, Panel                        lipgloss.Style
	Help                              help.Styles
}

func newStyles(g Glyphs) *Styles {
	border := lipgloss.RoundedBorder()
	if !g.UTF8 {
		border = lipgloss.ASCIIBorder()
	}
	s := &Styles{
		Title:      lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("6")),
		Step:       lipgloss.NewStyle().Foreground(lipgloss.Color("8")),
		StepActive: lipgloss.NewStyle().Bold(true).Underline(true),
		StepDone:   lipgloss.NewStyle().Foreground(lipgloss.Color("2")),
		Subtle:     lipgloss.NewStyle().Foreground(lipgloss.Color("8")),
		Bold:       lipgloss.NewStyle().Bold(true),
		Error:      lipgloss.NewStyle().Foreground(lipgloss.Color("1")).Bold(true),
		Warn:       lipgloss.NewStyle().Foreground(lipgloss.Color("3")).Bold(true),
		OK:         lipgloss.NewStyle().Foreground(lipgloss.Color("2")),
		Header:     lipgloss.NewStyle().Bold(true).Underline(true),
		Selected:   lipgloss.NewStyle().Foreground(lipgloss.Color("2")),
		Cursor:     lipgloss.NewStyle().Reverse(true),
		Box:        lipgloss.NewStyle().Border(border).Padding(0, 1),
		Panel:      lipgloss.NewStyle().Border(border, true, false, false, false),
	}
	s.Help = help.New().Styles
	s.Help.ShortKey = lipgloss.NewStyle().Bold(true)
	s.Help.FullKey = lipgloss.NewStyle().Bold(true)
	s.Help.ShortDesc = lipgloss.NewStyle().Foreground(lipgloss.Color("8"))
	s.Help.FullDesc = lipgloss.NewStyle().Foreground(lipgloss.Color("8"))
	s.Help.ShortSeparator = lipgloss.NewStyle().Foreground(lipgloss.Color("8"))
	s.Help.FullSeparator = lipgloss.NewStyle().Foreground(lipgloss.Color("8"))
	s.Help.Ellipsis = lipgloss.NewStyle().Foreground(lipgloss.Color("8"))
	return s
}

// formTheme is the huh theme: base16 (ANSI colors), with ASCII borders and indicators without UTF-8.
func formTheme(g Glyphs) huh.Theme {
	return huh.ThemeFunc(func(isDark bool) *huh.Styles {
		t := huh.ThemeBase16(isDark)
		if !g.UTF8 {
			b := lipgloss.ASCIIBorder()
			t.Focused.Base = t.Focused.Base.BorderStyle(b)
			t.Focused.Card = t.Focused.Base
			t.Focused.NextIndicator = t.Focused.NextIndicator.SetString("->")
			t.Focused.PrevIndicator = t.Focused.PrevIndicator.SetString("<-")
			t.Focused.SelectedPrefix = t.Focused.SelectedPrefix.SetString("[x] ")
			t.Blurred.SelectedPrefix = t.Blurred.SelectedPrefix.SetString("[x] ")
		}
		return t
	})
}

// Glyphs are the symbols drawn, with an ASCII set for terminals that do not take UTF-8.
type Glyphs struct {
	UTF8                          bool
	OK, Warn, Fail, Pending, Run  string
	Check, Uncheck, Pointer       string
	Arrow, Bullet, Ellipsis, Rule string
	BarFull, BarEmpty             rune
	Expand, Collapse              string
	Spinner                       []string
}

func newGlyphs(utf8 bool) Glyphs {
	if utf8 {
		return Glyphs{UTF8: true, OK: "✓", Warn: "!", Fail: "✗", Pending: "○", Run: "●",
			Check: "[x]", Uncheck: "[ ]", Pointer: "›", Arrow: "→", Bullet: "•", Ellipsis: "…", Rule: "─",
			BarFull: '█', BarEmpty: '░', Expand: "▸", Collapse: "▾",
			Spinner: []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}}
	}
	return Glyphs{UTF8: false, OK: "+", Warn: "!", Fail: "x", Pending: "o", Run: "*",
		Check: "[x]", Uncheck: "[ ]", Pointer: ">", Arrow: "->", Bullet: "*", Ellipsis: "...", Rule: "-",
		BarFull: '#', BarEmpty: '.', Expand: "+", Collapse: "-",
		Spinner: []string{"|", "/", "-", "\\"}}
}
