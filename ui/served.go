package ui

import (
	"context"
	"os"

	tea "charm.land/bubbletea/v2"

	"github.com/esmigrate/esmigrate/nfs"
	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/ui/common"
)

// ServedOptions build the wizard that esmigrate serve keeps in its own process (package ui/serve): one wizard,
// shown to the operator's SSH session that drives it, that outlives every session.
type ServedOptions struct {
	Options
	// Pause is the migration's pause switch; esmigrate serve keeps it (and says it across its restarts).
	Pause *steps.PauseGate
	// Backend wraps the engine (esmigrate serve passes every event of a run on to the sessions that watch).
	Backend func(Backend) Backend
}

// NewServed builds the served wizard and its session: UTF-8 and colors (each SSH session's program draws the
// frames for its own terminal), the language of the server (Options.Lang, else its environment); an
// unfinished migration in the state file goes on at once (AutoResume), as `esmigrate resume` would.
func NewServed(ctx context.Context, o ServedOptions) (*Model, *Session) {
	lang := DetectLang(o.Lang, os.Getenv)
	c := common.New(ctx, common.Options{Lang: lang, UTF8: true, Color: true})
	s := NewSession(o.Options)
	s.Distro = string(nfs.DetectDistro(""))
	s.Served, s.AutoResume, s.Pause = true, true, o.Pause
	be := Backend(engineBackend{lang: c.L.Lang()})
	if o.Backend != nil {
		be = o.Backend(be)
	}
	return NewModel(c, s, be), s
}

// ClipboardMsg is a served wizard's copy (OSC 52): esmigrate serve hands it to the terminal of the session that
// drives (the wizard's own program has no terminal).
type ClipboardMsg struct{ Text string }

// clipboard copies text to the terminal's clipboard: this program's, or the driving session's when served.
func (s *Session) clipboard(text string) tea.Cmd {
	if s.Served {
		return func() tea.Msg { return ClipboardMsg{text} }
	}
	return tea.SetClipboard(text)
}
