// Package common is what every screen and component of the wizard shares (the shape of soft-serve's
// pkg/ui/common): the terminal's size, the language, the styles and glyphs, the one key map, the clock; and
// the helpers that measure and cut text by display width.
package common

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/esmigrate/esmigrate/i18n"
)

// Common is shared by every screen and component. The root model owns it; the others read it (a pointer)
// and never change it.
type Common struct {
	Width, Height int
	L             *i18n.Localizer
	Styles        *Styles
	Glyphs        Glyphs
	Keys          *KeyMap
	// Color: the terminal shows colors (false with NO_COLOR or a terminal without them): what colors alone
	// would tell is then told with brackets, reverse video or a pointer.
	Color bool
	Now   func() time.Time
	Ctx   context.Context
}

// Options describe the terminal the wizard draws on.
type Options struct {
	Lang  string // "en" or "zh"
	UTF8  bool   // the locale takes UTF-8; without it everything drawn is ASCII (and the language English)
	Color bool
}

// New builds the shared context. Without UTF-8 the wizard speaks English: Chinese cannot be drawn in ASCII.
func New(ctx context.Context, o Options) *Common {
	if ctx == nil {
		ctx = context.Background()
	}
	lang := o.Lang
	if !o.UTF8 {
		lang = "en"
	}
	g := NewGlyphs(o.UTF8)
	l := i18n.New(lang)
	return &Common{Width: 80, Height: 24, L: l, Styles: NewStyles(g, o.Color), Glyphs: g, Keys: NewKeyMap(l, o.UTF8),
		Color: o.Color, Now: time.Now, Ctx: ctx}
}

// T is the catalogue's text of key (see package i18n), in ASCII on a terminal without UTF-8.
func (c *Common) T(key string, args ...any) string { return c.ASCII(c.L.T(key, args...)) }

// Text is a message in the wizard's language. A verbatim text (English a package wrote without a key) is
// labelled as English in another language.
func (c *Common) Text(m i18n.Msg) string {
	s := c.L.Msg(m)
	if m.Verbatim() && c.L.Lang() != "en" && s != "" {
		s = c.L.T("misc.verbatim", s)
	}
	return c.ASCII(s)
}

// Verbatim is Text for a string the engine wrote in English.
func (c *Common) Verbatim(s string) string { return c.Text(i18n.Text(s)) }

// Err is an error's text in the wizard's language (labelled as English when it has no message key).
func (c *Common) Err(err error) string {
	if err == nil {
		return ""
	}
	return c.Text(i18n.MsgOf(err))
}

// asciiReplacer writes the symbols of messages and engine texts in ASCII.
var asciiReplacer = strings.NewReplacer("↑", "up", "↓", "down", "←", "left", "→", "->", "…", "...", "·", "|",
	"▲", "^", "▼", "v", "—", "-", "–", "-", "×", "x", "“", "\"", "”", "\"", "‘", "'", "’", "'", "✓", "+", "✗", "x",
	"≤", "<=", "≥", ">=", "•", "*")

// ASCII writes s for the terminal: unchanged with UTF-8; else its symbols in ASCII (ToASCII).
func (c *Common) ASCII(s string) string {
	if c.Glyphs.UTF8 {
		return s
	}
	return ToASCII(s)
}

// ToASCII writes the known symbols in ASCII and any other non-ASCII character (an index name in another
// script, say) as "?": a terminal without UTF-8 shows nothing else.
func ToASCII(s string) string {
	s = asciiReplacer.Replace(s)
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			var b strings.Builder
			for _, r := range s {
				if r < 0x80 {
					b.WriteRune(r)
				} else {
					b.WriteByte('?')
				}
			}
			return b.String()
		}
	}
	return s
}

// Width helpers: display width, not bytes or runes (Chinese is two cells wide).

// Width is s's display width.
func Width(s string) int { return ansi.StringWidth(s) }

// Fit cuts s to w cells (ending in ell) or pads it with spaces to exactly w cells.
func Fit(s string, w int, ell string) string {
	if w <= 0 {
		return ""
	}
	sw := ansi.StringWidth(s)
	if sw > w {
		s = ansi.Truncate(s, w, ell)
		sw = ansi.StringWidth(s)
	}
	if sw < w {
		s += strings.Repeat(" ", w-sw)
	}
	return s
}

// FitRight pads s on the left to w cells (numbers), cutting it when longer.
func FitRight(s string, w int) string {
	sw := ansi.StringWidth(s)
	if sw > w {
		return ansi.Truncate(s, w, "")
	}
	return strings.Repeat(" ", w-sw) + s
}

// Wrap wraps text to w cells at spaces, and between any two Chinese characters; a word (a path, a URL, an
// index name) longer than the line is the only thing cut. x/ansi breaks at every hyphen too, which cuts
// "/data/source-repo" and "logs-2026.11.01" in two: hyphens are hidden from it as a non-breaking hyphen
// (U+2011, as wide) while it wraps.
func Wrap(s string, w int) string {
	if w <= 0 {
		return s
	}
	if !strings.Contains(s, "-") {
		return ansi.Wrap(s, w, " ")
	}
	return strings.ReplaceAll(ansi.Wrap(strings.ReplaceAll(s, "-", nbHyphen), w, " "), nbHyphen, "-")
}

const nbHyphen = "\u2011"

// Clip keeps the first h lines of s (all when h < 0), each cut to w cells.
func Clip(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if h >= 0 && len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if ansi.StringWidth(l) > w {
			lines[i] = ansi.Truncate(l, w, "")
		}
	}
	return strings.Join(lines, "\n")
}

// PadLines pads s with empty lines to h lines.
func PadLines(s string, h int) string {
	n := strings.Count(s, "\n") + 1
	if s == "" {
		n = 0
	}
	if n >= h {
		return s
	}
	if s == "" {
		return strings.Repeat("\n", h-1)
	}
	return s + strings.Repeat("\n", h-n)
}

// WrapLines is s wrapped to w cells (Wrap) and styled, a line an element: the lines of a screen's head or foot,
// which the screen counts to know what its middle gets.
func WrapLines(s string, w int, style func(...string) string) []string {
	return strings.Split(style(Wrap(s, w)), "\n")
}

// FlashLines is a message wrapped to w cells and styled as Flash, a line an element.
func (c *Common) FlashLines(msg string, w int, isErr bool) []string {
	return strings.Split(c.Flash(Wrap(msg, w), isErr), "\n")
}

// Scrolled lays a screen out in h lines: head and foot stay, the n rows between them scroll. The rows get the
// lines head and foot leave (at least one), from row off on; off is clamped so that the rows never end above
// the foot, and returned. row makes row i, only for the rows shown (a report may have thousands).
func Scrolled(head []string, n int, row func(i int) string, foot []string, h, off int) (view string, clamped int) {
	rowsH := max(h-len(head)-len(foot), 1)
	off = min(off, max(n-rowsH, 0))
	var rows []string
	for i := off; i < n && len(rows) < rowsH; i++ {
		rows = append(rows, row(i))
	}
	return strings.Join(head, "\n") + "\n" + PadLines(strings.Join(rows, "\n"), rowsH) + "\n" + strings.Join(foot, "\n"), off
}

// Flash styles a message line: an error, or a success.
func (c *Common) Flash(msg string, isErr bool) string {
	if isErr {
		return c.Styles.Error.Render(msg)
	}
	return c.Styles.OK.Render(msg)
}

// HumanCount writes 1234567 as 1,234,567.
func HumanCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	sign, digits := "", s
	if n < 0 {
		sign, digits = "-", s[1:]
	}
	var b strings.Builder
	b.WriteString(sign)
	for i := range len(digits) {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(digits[i])
	}
	return b.String()
}

// Duration writes a duration as 1h02m03s / 2m03s / 4s.
func Duration(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	switch {
	case h > 0:
		return fmt.Sprintf("%dh%02dm%02ds", h, m, s)
	case m > 0:
		return fmt.Sprintf("%dm%02ds", m, s)
	}
	return fmt.Sprintf("%ds", s)
}

// Sideways is a line at a sideways scroll of xoff columns in a width of w: cut to the width, with a sign on
// the side where more of it is (the review's and the metadata screen's request lists; c copies the whole line).
func (c *Common) Sideways(l string, xoff, w int) string {
	more, less := "→", "←"
	if !c.Glyphs.UTF8 {
		more, less = ">", "<"
	}
	lw := Width(l)
	if xoff == 0 && lw <= w {
		return l
	}
	left := ""
	if xoff > 0 {
		left = c.Styles.Subtle.Render(less)
		l = ansi.Cut(l, xoff+1, lw)
		lw = Width(l)
	}
	room := w - Width(left)
	if lw > room {
		return left + ansi.Truncate(l, room-1, "") + c.Styles.Subtle.Render(more)
	}
	return left + l
}
