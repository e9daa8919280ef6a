package common

import (
	"charm.land/bubbles/v2/help"
	"charm.land/huh/v2"
	"charm.land/lipgloss/v2"
)

// All styles of the wizard, in one place. Only the 16 ANSI colors are used: over SSH only TERM crosses, and
// 16 colors look right on every terminal and theme. With NO_COLOR (or a terminal without colors) the renderer
// drops the colors; nothing is told by color alone: every status has a glyph and a word, the cursor row is in
// reverse video or behind a pointer, a chosen button is in brackets.

// Styles are the wizard's styles.
type Styles struct {
	Title, Step, StepActive, StepDone lipgloss.Style
	Subtle, Bold, Error, Warn, OK     lipgloss.Style
	Header, Selected, Cursor          lipgloss.Style
	Box, Panel                        lipgloss.Style
	Help                              help.Styles
	// Form is the forms' (huh) theme.
	Form huh.Theme
}

// NewStyles are the styles for a set of glyphs (ASCII borders without UTF-8) and a terminal with or without
// colors.
func NewStyles(g Glyphs, color bool) *Styles {
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
	s.Form = formTheme(g, color)
	return s
}

// formTheme is the huh theme: base16 (ANSI colors); ASCII borders and indicators without UTF-8; without
// colors the focused button in brackets and reverse video (base16 tells the buttons apart by their background
// color alone).
func formTheme(g Glyphs, color bool) huh.Theme {
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
		if !color {
			chosen := func(s string) string { return "[" + s + "]" }
			other := func(s string) string { return " " + s + " " }
			t.Focused.FocusedButton = t.Focused.FocusedButton.Reverse(true).Bold(true).Transform(chosen)
			t.Focused.BlurredButton = t.Focused.BlurredButton.Transform(other)
			t.Blurred.FocusedButton = t.Blurred.FocusedButton.Bold(true).Transform(chosen)
			t.Blurred.BlurredButton = t.Blurred.BlurredButton.Transform(other)
		}
		return t
	})
}

// Glyphs are the symbols drawn, with an ASCII set for terminals that do not take UTF-8. The ASCII set is
// chosen to read as words where UTF-8 has symbols: a check is "[ok]", "[!!]" or "[xx]" (not "+ +" next to a
// pointer).
type Glyphs struct {
	UTF8                          bool
	OK, Warn, Fail, Pending, Run  string // a phase's state
	CheckOK, CheckWarn, CheckFail string // a check's status
	Check, Uncheck, Pointer       string
	Arrow, Bullet, Ellipsis, Rule string
	BarFull, BarEmpty             rune
	Expand, Collapse              string // "" without UTF-8: expanded rows show their details, that is enough
	SortUp, SortDown              string
	Spinner                       []string
}

// NewGlyphs is the UTF-8 or the ASCII set.
func NewGlyphs(utf8 bool) Glyphs {
	if utf8 {
		return Glyphs{UTF8: true, OK: "✓", Warn: "!", Fail: "✗", Pending: "○", Run: "●",
			CheckOK: "✓", CheckWarn: "!", CheckFail: "✗",
			Check: "[x]", Uncheck: "[ ]", Pointer: "›", Arrow: "→", Bullet: "•", Ellipsis: "…", Rule: "─",
			BarFull: '█', BarEmpty: '░', Expand: "▸", Collapse: "▾", SortUp: "▲", SortDown: "▼",
			Spinner: []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}}
	}
	return Glyphs{UTF8: false, OK: "+", Warn: "!", Fail: "x", Pending: "-", Run: "*",
		CheckOK: "[ok]", CheckWarn: "[!!]", CheckFail: "[xx]",
		Check: "[x]", Uncheck: "[ ]", Pointer: ">", Arrow: "->", Bullet: "*", Ellipsis: "...", Rule: "-",
		BarFull: '#', BarEmpty: '.', Expand: "", Collapse: "", SortUp: "^", SortDown: "v",
		Spinner: []string{"|", "/", "-", "\\"}}
}
