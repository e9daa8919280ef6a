package ui

import (
	"context"
	"os"

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
	be := Backend(engineBackend{})
	if o.Backend != nil {
		be = o.Backend(be)
	}
	return NewModel(c, s, be), s
}
