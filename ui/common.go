package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/steps"
)

// Common is what every screen shares: the terminal's size, the styles, the glyphs, the keys and the catalogue.
// The root model owns it; screens read it (a pointer) and never change it.
type Common struct {
	Width, Height int
	Cat           Catalogue
	Styles        *Styles
	Glyphs        Glyphs
	Keys          GlobalKeys
	Now           func() time.Time
	Ctx           context.Context
}

// NewCommon builds the shared context for a language and a terminal.
func NewCommon(ctx context.Context, lang string, utf8 bool) *Common {
	if ctx == nil {
		ctx = context.Background()
	}
	g := newGlyphs(utf8)
	return &Common{Width: 80, Height: 24, Cat: NewCatalogue(lang), Styles: newStyles(g), Glyphs: g,
		Keys: newGlobalKeys(NewCatalogue(lang)), Now: time.Now, Ctx: ctx}
}

// T translates (with ASCII stand-ins for the few symbols in the messages when the terminal is not UTF-8).
func (c *Common) T(key string, args ...any) string { return c.ascii(c.Cat.T(key, args...)) }

var asciiReplacer = strings.NewReplacer("↑", "up", "↓", "down", "←", "left", "→", "->", "…", "...", "·", "|", "▲", "^", "▼", "v", "—", "-")

func (c *Common) ascii(s string) string {
	if c.Glyphs.UTF8 {
		return s
	}
	return asciiReplacer.Replace(s)
}

// Session is the migration being prepared: the plan the forms edit and what the clusters told us. The root
// owns it; screens change it only inside their Update.
type Session struct {
	Plan        steps.Plan
	Creds       steps.Credentials
	PlanPath    string
	Src, Dst    steps.ClusterSummary
	Indices     []esclient.Index
	Batches     []steps.Batch
	AcceptWarns bool
	Report      *steps.Report
	Prefilled   string          // where the first values came from
	Acked       map[string]bool // ids of the warnings the operator accepted
	Distro      string          // rhel or debian: this host's, for the setup commands (detected before the program starts)
	// Prev is what the state file held when the wizard started (nil: none); its plan's StateFile is that file.
	Prev      *steps.State
	PrevCreds steps.Credentials // the credentials for Prev's plan (its own variables fill what flags left empty)
	// Resuming: the run goes on from Prev (the operator chose to resume it).
	Resuming bool
	Notice   string // said once on the connection screen (the old state file was moved aside)
	// runEnd receives the engine's error when a run's goroutine ends, so that Run can wait for the state to be
	// saved when the program ends while a migration runs (a hang-up).
	runEnd chan error
}

// screenBase is what every screen holds: the shared context, the session, the engine, its size, and the text
// its Update prepared for View.
type screenBase struct {
	c    *Common
	s    *Session
	be   Backend
	w, h int
	view string
}

// View shows what Update prepared.
func (b *screenBase) View() string { return b.view }

// stepForm hands msg to a form; done tells that the form completed.
func stepForm(form *huh.Form, msg tea.Msg) (next *huh.Form, cmd tea.Cmd, done bool) {
	f, cmd := form.Update(msg)
	if ff, ok := f.(*huh.Form); ok {
		form = ff
	}
	return form, cmd, form.State == huh.StateCompleted
}

// editForm is stepForm for a form that esc closes without applying it (next is then nil).
func editForm(form *huh.Form, msg tea.Msg) (next *huh.Form, cmd tea.Cmd, done bool) {
	if isEsc(msg) {
		return nil, nil, false
	}
	return stepForm(form, msg)
}

func isEsc(msg tea.Msg) bool {
	k, ok := msg.(tea.KeyPressMsg)
	return ok && k.String() == "esc"
}

// GlobalKeys work on every screen.
type GlobalKeys struct {
	Quit, Help, Back, Redraw key.Binding
}

func newGlobalKeys(c Catalogue) GlobalKeys {
	return GlobalKeys{
		Quit:   key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", c.T("key.quit"))),
		Help:   key.NewBinding(key.WithKeys("?"), key.WithHelp("?", c.T("key.help"))),
		Back:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", c.T("key.back"))),
		Redraw: key.NewBinding(key.WithKeys("ctrl+l"), key.WithHelp("ctrl+l", c.T("key.redraw"))),
	}
}

// upDown are the keys that move or scroll by a line: ↑ or k, ↓ or j (with their help's catalogue keys).
func upDown(c *Common, upHelp, downHelp string) (up, down key.Binding) {
	return bind(c, "up k", "↑", upHelp), bind(c, "down j", "↓", downHelp)
}

func bind(c *Common, keys, helpKey, helpKeyID string) key.Binding {
	return key.NewBinding(key.WithKeys(strings.Split(keys, " ")...), key.WithHelp(c.ascii(helpKey), c.T(helpKeyID)))
}

// Width helpers: display width, not bytes or runes (Chinese is two cells wide).

func width(s string) int { return ansi.StringWidth(s) }

// fit cuts s to w cells (with an ellipsis) or pads it with spaces to exactly w cells.
func fit(s string, w int, ell string) string {
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

// fitRight pads on the left (numbers).
func fitRight(s string, w int) string {
	sw := ansi.StringWidth(s)
	if sw > w {
		return ansi.Truncate(s, w, "")
	}
	return strings.Repeat(" ", w-sw) + s
}

// wrap wraps text to w cells (words, and CJK anywhere).
func wrap(s string, w int) string {
	if w <= 0 {
		return s
	}
	return ansi.Wrap(s, w, " ")
}

// clip keeps the first h lines of s, each cut to w cells.
func clip(s string, w, h int) string {
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

// flash styles a message line: an error, or a success.
func flash(c *Common, msg string, isErr bool) string {
	if isErr {
		return c.Styles.Error.Render(msg)
	}
	return c.Styles.OK.Render(msg)
}

// padLines pads s with empty lines to h lines.
func padLines(s string, h int) string {
	n := lipgloss.Height(s)
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

// humanCount writes 1234567 as 1,234,567.
func humanCount(n int64) string {
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

// duration writes a duration as 1h02m03s / 2m03s / 4s.
func duration(d time.Duration) string {
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

// saveNew writes data to path, or, when a file of that name is already there, to path-1, path-2... (before
// the extension): saving from the wizard never overwrites a file the operator may have edited. It returns the
// name written.
func saveNew(path string, data []byte) (string, error) {
	ext := filepath.Ext(path)
	base := strings.TrimSuffix(path, ext)
	for i := 0; i < 100; i++ {
		name := path
		if i > 0 {
			name = fmt.Sprintf("%s-%d%s", base, i, ext)
		}
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if os.IsExist(err) {
			continue
		}
		if err != nil {
			return name, err
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			return name, err
		}
		return name, f.Close()
	}
	return path, fmt.Errorf("%s and 99 numbered variants exist already: remove some", path)
}
