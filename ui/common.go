package ui

import (
	"context"
	"errors"
	"path/filepath"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/ui/common"
	"github.com/esmigrate/esmigrate/ui/components/typedconfirm"
)

// Common is what every screen shares (package common): size, language, styles, glyphs, the key map, the
// clock.
type Common = common.Common

// NewCommon builds the shared context for a language and a terminal (with colors).
func NewCommon(ctx context.Context, lang string, utf8 bool) *Common {
	return common.New(ctx, common.Options{Lang: lang, UTF8: utf8, Color: true})
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
	// Setup is what the setup-commands form says of the NFS setup: only the commands use it, never the checks
	// (editing it never changes which checks pass). It starts from the plan's NFS section.
	Setup steps.NFSPlan
	// ESUser is the uid:gid Elasticsearch runs as, as the pre-flight found it ("" when it could not tell).
	ESUser string
	// Prev is what the state file held when the wizard started (nil: none); its plan's StateFile is that file.
	Prev      *steps.State
	PrevCreds steps.Credentials // the credentials for Prev's plan (its own variables fill what flags left empty)
	// Resuming: the run goes on from Prev (the operator chose to resume it).
	Resuming bool
	Notice   string // said once on the connection screen (the old state file was moved aside)
	// runEnd receives the engine's error when a run's goroutine ends, so that Run can wait for the state to be
	// saved when the program ends while a migration runs (a hang-up).
	runEnd chan error
	// Pause is the running migration's pause switch (the run screen's p; steps/pause.go).
	Pause *steps.PauseGate
	// Served: the wizard lives in esmigrate serve and is shown to the SSH session that drives it. Leaving ends
	// that session, never the wizard (LeaveMsg); stopping the migration is pausing it.
	Served bool
	// Meta is what the metadata screen read (nil until then); MetaRequests the requests the metadata step will
	// send as chosen (the review lists them); MetaConfirmed: the operator typed the name of a conflict to
	// overwrite (the run gets AllowMetadataOverwrite). metaSeen: the screen was shown once (its defaults were
	// applied).
	Meta          *steps.MetadataInventory
	MetaRequests  []steps.PlannedRequest
	MetaConfirmed bool
	metaSeen      bool
	// Advice is the shares' throughput as the review's probe measured it, with the engine's proposed throttles
	// (nil: not measured).
	Advice *steps.Advice
	// adviceFor are the repository paths the Advice measured (sharePathsOf the plan measured); AdviceStale: an
	// Advice was dropped because the plan's paths are no longer those (the review says to measure again).
	adviceFor   sharePaths
	AdviceStale bool
	// TargetRecovery is a value for the target's indices.recovery.max_bytes_per_sec during the migration (the
	// proposal taken on the review, or a plan file's restore.target_recovery_max_bytes_per_sec). A setting of the
	// whole target cluster: the plan carries it, and the run may change it (AllowTargetSettings), only once
	// TargetConfirmed, when the operator typed the target cluster's name.
	TargetRecovery  string
	TargetConfirmed bool
	// AutoResume: an unfinished migration of the state file goes on at once when the credentials it needs
	// are at hand (esmigrate serve after its own restart), as `esmigrate resume` does.
	AutoResume bool
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

// startWork runs the engine's work as the stream seq (common.StartStream). A program that ends meanwhile (a
// hang-up) waits for the work to save its state (Session.WaitRun).
func (b *screenBase) startWork(seq int, work func(emit func(steps.Event)) (any, error)) tea.Cmd {
	end := make(chan error, 1)
	b.s.runEnd = end
	return common.StartStream(seq, func(emit func(steps.Event)) (any, error) {
		res, err := work(emit)
		end <- err
		return res, err
	})
}

// liveBase is what the screens of a live migration (catch-up, cut-over) share: where the migration stands, read
// when the screen is entered and told again by the engine's events; the engine's work the screen runs and its
// stop; the name the operator types to allow what cannot be undone; the message under the screen.
type liveBase struct {
	screenBase

	seq      int // the status read or the work running now (common.NewID): other messages are stale
	loading  bool
	running  bool
	stopping bool
	cancel   context.CancelFunc
	st       *steps.LiveStatus
	err      error
	confirm  typedconfirm.Model
	msg      string
	msgErr   bool
}

func newLiveBase(c *Common, s *Session, be Backend) liveBase {
	return liveBase{screenBase: screenBase{c: c, s: s, be: be}, confirm: typedconfirm.New()}
}

// liveStatusMsg is where the live migration stands, read by LiveStatus.
type liveStatusMsg struct {
	seq int
	st  *steps.LiveStatus
	err error
}

// loadStatus reads where the live migration stands (a few reads on each cluster).
func (b *liveBase) loadStatus() tea.Cmd {
	b.seq = common.NewID()
	seq := b.seq
	b.loading, b.err = true, nil
	p, creds, be := b.s.Plan, b.s.Creds, b.be
	return ioTimeout(b.c.Ctx, 2*time.Minute, func(ctx context.Context) tea.Msg {
		st, err := be.LiveStatus(ctx, p, creds)
		return liveStatusMsg{seq: seq, st: st, err: err}
	})
}

// tookStatus takes the status read by loadStatus; false: msg is stale.
func (b *liveBase) tookStatus(msg liveStatusMsg) bool {
	if msg.seq != b.seq {
		return false
	}
	b.loading = false
	b.st, b.err = msg.st, msg.err
	return true
}

// begin readies the screen for new work: its stream id and the context its stop cancels.
func (b *liveBase) begin() (seq int, ctx context.Context) {
	b.seq = common.NewID()
	ctx, b.cancel = context.WithCancel(b.c.Ctx)
	b.running, b.stopping, b.err, b.msg = true, false, nil, ""
	return b.seq, ctx
}

// stop cancels the running work, once; false when it was asked already.
func (b *liveBase) stop() bool {
	if b.stopping || b.cancel == nil {
		return false
	}
	b.stopping = true
	b.cancel()
	return true
}

// head is the head of the screen: its title and, until the status is read, that it is being read or why it
// could not be. more is false while there is no status to show.
func (b *liveBase) head(titleKey string) (lines []string, more bool) {
	styles := b.c.Styles
	lines = common.WrapLines(b.c.T(titleKey), b.w, styles.Bold.Render)
	switch {
	case b.loading && b.st == nil:
		return append(lines, b.c.T("cu.loading")), false
	case b.st == nil && b.err != nil:
		return append(lines, common.WrapLines(b.c.T("cu.failed", b.c.Err(b.err)), b.w, styles.Error.Render)...), false
	case b.st == nil:
		return lines, false
	}
	return lines, true
}

// flash is the message under the screen, wrapped (none when there is none).
func (b *liveBase) flash() []string {
	if b.msg == "" {
		return nil
	}
	return b.c.FlashLines(b.msg, b.w, b.msgErr)
}

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

// saveNew writes a new file at path, or, when a file (or a link) of that name is already there, at path-1,
// path-2... (steps.SaveNew: created without following links, mode 0600): saving from the wizard never
// overwrites a file the operator may have edited. content gets the name chosen, so that the file can name
// itself. It returns the name written, absolute, to be shown.
func saveNew(path string, content func(name string) []byte) (string, error) {
	name, err := steps.SaveNew(path, content)
	if abs, aerr := filepath.Abs(name); aerr == nil {
		name = abs
	}
	return name, err
}

// problemOf is an error's text without its fix when the fix is shown on its own line (fixOf), in the wizard's
// language where the error has a message key.
func problemOf(c *Common, err error) string {
	var ee *esclient.Error
	if errors.As(err, &ee) && ee == err {
		return c.Text(ee.ProblemMsg())
	}
	return c.Err(err)
}

// fixOf renders the fix of an engine error, if it has one.
func fixOf(c *Common, err error) string {
	var ee *esclient.Error
	if errors.As(err, &ee) && ee.Fix != "" {
		return c.T("misc.fix", c.Text(ee.FixText()))
	}
	return ""
}

// runOptions are the confirmations a run started now gets.
func (s *Session) runOptions() RunOptions {
	return RunOptions{AcceptWarnings: s.AcceptWarns, AllowMetadataOverwrite: s.MetaConfirmed, AllowTargetSettings: s.TargetConfirmed}
}

// holdTargetSettings takes a target setting that the plan the wizard starts with asks for (a plan file's
// restore.target_recovery_max_bytes_per_sec) out of the plan until the operator confirms it on the review: the
// plan the wizard edits never carries an unconfirmed change of the target cluster (the pre-flight would refuse
// it, naming a flag the wizard has not got).
func (s *Session) holdTargetSettings() {
	if v := s.Plan.Restore.TargetRecoveryMaxBytesPerSec; v != "" && !s.TargetConfirmed {
		s.TargetRecovery = v
		s.Plan.Restore.TargetRecoveryMaxBytesPerSec = ""
	}
}

// sharePaths are where the plan's repositories are on this host: what a measurement of the shares is of.
type sharePaths struct {
	source, target string
	shared         bool
}

func sharePathsOf(p steps.Plan) sharePaths {
	return sharePaths{source: p.SourceLocalPath(), target: p.TargetLocalPath(), shared: p.Repository.Shared}
}

// setAdvice keeps what the probe of the plan's shares at paths measured.
func (s *Session) setAdvice(a steps.Advice, paths sharePaths) {
	s.Advice, s.adviceFor, s.AdviceStale = &a, paths, false
}

// dropStaleAdvice forgets a measurement of the shares once the plan's repositories are elsewhere (the operator
// went back and changed the repository step's paths): its rates and proposal are of other directories, and u
// must not take them.
func (s *Session) dropStaleAdvice() {
	if s.Advice != nil && s.adviceFor != sharePathsOf(s.Plan) {
		s.Advice, s.AdviceStale = nil, true
	}
}
