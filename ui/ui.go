// Package ui is the Bubble Tea wizard. It shows the steps of the engine (package steps) and never talks to
// Elasticsearch itself.
package ui

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/esmigrate/esmigrate/nfs"
	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/ui/common"
)

// Options start the wizard.
type Options struct {
	Plan        steps.Plan        // prefilled from flags, environment, a plan file or a previous state file
	Credentials steps.Credentials // from flags, environment or a prompt; never written anywhere
	Lang        string            // "en" or "zh"; "" = from LANG/LC_ALL
	PlanPath    string            // where "save plan" writes
}

// Run shows the wizard until the operator quits or the migration ends. It returns a *steps.StoppedError when
// the operator stopped following a running migration (it goes on with `esmigrate resume`).
func Run(ctx context.Context, o Options) error {
	lang, utf8, env := DetectLang(o.Lang, os.Getenv), DetectUTF8(os.Getenv), os.Environ()
	c := common.New(ctx, common.Options{Lang: lang, UTF8: utf8, Color: colorProfile(env) > colorprofile.ASCII})
	s := NewSession(o)
	if lang != c.L.Lang() {
		// Chinese was asked for on a terminal whose locale does not take UTF-8: it cannot be drawn.
		s.Notice = c.T("misc.noutf8")
	}
	// This host's distribution, for the setup commands (reads /etc/os-release: done here, not in Update).
	s.Distro = string(nfs.DetectDistro(""))
	s.Pause = steps.NewPauseGate(false)
	m := NewModel(c, s, engineBackend{lang: c.L.Lang()})
	p := tea.NewProgram(m, ProgramOptions(ctx, env)...)
	_, err := p.Run()
	// A migration's goroutine may still be writing its state (the session hung up): wait for it.
	if runErr := s.WaitRun(30 * time.Second); m.Err() == nil && runErr != nil {
		return runErr
	}
	if err != nil && m.Err() == nil {
		return err
	}
	return m.Err()
}

// WaitRun waits (up to timeout) for a migration's goroutine that still runs when the program ended to save
// its state and return, and returns its error (nil when no migration ran).
func (s *Session) WaitRun(timeout time.Duration) error {
	if s.runEnd == nil {
		return nil
	}
	select {
	case err := <-s.runEnd:
		s.runEnd <- err // for a second caller
		return err
	case <-time.After(timeout):
		return nil
	}
}

// ProgramOptions are a wizard program's options for an environment (this terminal's, or an SSH session's):
// the context, the frame rate, the environment and the colors drawn with (colorProfile).
func ProgramOptions(ctx context.Context, environ []string) []tea.ProgramOption {
	return []tea.ProgramOption{tea.WithContext(ctx), tea.WithFPS(20), tea.WithEnvironment(environ),
		tea.WithColorProfile(colorProfile(environ))}
}

// colorProfile is how the wizard draws colors, from the environment (the wizard runs on a terminal; main refuses
// it otherwise): none with NO_COLOR (bold and underline stay) or without a usable TERM, else the terminal's 16
// or 256 ANSI colors. Never true color: the styles use only the 16 ANSI colors, and over SSH only TERM crosses,
// so a guess of true color (COLORTERM, a terminal's name) is not followed.
func colorProfile(environ []string) colorprofile.Profile {
	return ColorProfile(environ)
}

// ColorProfile is colorProfile for another package (esmigrate serve, for each SSH session's environment).
func ColorProfile(environ []string) colorprofile.Profile {
	if p := colorprofile.Env(environ); p < colorprofile.TrueColor {
		return p
	}
	return colorprofile.ANSI256
}

// NewSession prepares the session from the options. It reads the state file (before the program starts): a
// migration found there is offered for resuming (or shown, when it finished), and its values fill what flags
// and the environment left empty.
func NewSession(o Options) *Session {
	s := &Session{Plan: o.Plan, Creds: o.Credentials, PlanPath: o.PlanPath, Acked: map[string]bool{}}
	if s.Plan.Version == 0 {
		s.Plan = steps.DefaultPlan()
	}
	defer s.holdTargetSettings()
	if s.Plan.StateFile == "" {
		return s
	}
	st, err := steps.ReadState(s.Plan.StateFile)
	if err != nil {
		return s // none yet; a damaged one is explained by the run, which refuses it
	}
	st.Plan.StateFile = s.Plan.StateFile
	s.Prev = st
	// For a resume: the credentials given, and where they lack one, the variable the state's plan names.
	s.PrevCreds = s.Creds
	env := steps.CredentialsFromEnv(st.Plan)
	fill := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	fill(&s.PrevCreds.SourcePassword, env.SourcePassword)
	fill(&s.PrevCreds.SourceAPIKey, env.SourceAPIKey)
	fill(&s.PrevCreds.TargetPassword, env.TargetPassword)
	fill(&s.PrevCreds.TargetAPIKey, env.TargetAPIKey)
	if s.Plan.Source.URL == "" || s.Plan.Target.URL == "" {
		prev := st.Plan
		if s.Plan.Source.URL == "" && s.Plan.Target.URL == "" {
			// A whole previous plan: the same migration again.
			s.Plan = prev
		} else {
			if s.Plan.Source.URL == "" {
				s.Plan.Source = prev.Source
			}
			if s.Plan.Target.URL == "" {
				s.Plan.Target = prev.Target
			}
		}
		s.Prefilled = s.Plan.StateFile
	}
	return s
}

// fillDefaults proposes what the clusters tell: the repository directories from path.repo, the NFS clients
// from the nodes. It never overrides what was given.
func (s *Session) fillDefaults() {
	r := &s.Plan.Repository
	src, dst := pathRepos(s.Src), pathRepos(s.Dst)
	// The proposal is a directory named after the repository inside the share, never the share's root: a root
	// may already hold other repositories, which a copy must not take along nor a clean-up remove.
	name := r.Name
	if name == "" {
		name = "esmigrate"
	}
	if r.SourceLocation == "" {
		switch {
		case len(src) > 0:
			r.SourceLocation = filepath.Join(src[0], name)
		case s.Plan.NFS.MountPoint != "":
			r.SourceLocation = filepath.Join(s.Plan.NFS.MountPoint, name)
		default:
			r.SourceLocation = filepath.Join("/opt/data/es_backup", name)
		}
	}
	if r.TargetLocation == "" && !r.Shared {
		// Prefer a target entry that is not one of the source's (a separate share), else the same path.
		r.TargetLocation = r.SourceLocation
		common := map[string]bool{}
		for _, p := range src {
			common[p] = true
		}
		for _, p := range dst {
			if !common[p] {
				r.TargetLocation = filepath.Join(p, name)
				break
			}
		}
		if len(dst) > 0 && r.TargetLocation == r.SourceLocation && !coveredBy(r.SourceLocation, dst) {
			r.TargetLocation = filepath.Join(dst[0], name)
		}
	}
	if len(s.Plan.NFS.Clients) == 0 {
		seen := map[string]bool{}
		for _, n := range slices.Concat(s.Src.Nodes, s.Dst.Nodes) {
			h := n.IP
			if h == "" {
				h = n.Host
			}
			if h != "" && !seen[h] {
				seen[h] = true
				s.Plan.NFS.Clients = append(s.Plan.NFS.Clients, h)
			}
		}
		sort.Strings(s.Plan.NFS.Clients)
	}
	if s.Plan.ReportDir == "" {
		s.Plan.ReportDir = "."
	}
	if !filepath.IsAbs(r.SourceLocation) {
		r.SourceLocation = "/" + r.SourceLocation
	}
}

// coveredBy tells whether dir is one of roots or below one of them (path.repo semantics).
func coveredBy(dir string, roots []string) bool {
	for _, r := range roots {
		r = filepath.Clean(r)
		if d := filepath.Clean(dir); d == r || strings.HasPrefix(d, r+string(filepath.Separator)) {
			return true
		}
	}
	return false
}
