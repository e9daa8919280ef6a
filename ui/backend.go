package ui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/nfs"
	"github.com/esmigrate/esmigrate/steps"
)

// Backend is what the wizard asks of the engine. The real one (engineBackend) drives package steps; model
// tests and golden files use a fake. Every method may block: the wizard calls them only from tea.Cmds.
type Backend interface {
	Probe(ctx context.Context, p steps.Plan, role string, c steps.Credentials) (steps.ClusterSummary, error)
	// ClusterChecks runs the cluster and share checks; register=false checks without registering the
	// repositories (the pre-flight before the repository is chosen).
	ClusterChecks(ctx context.Context, p steps.Plan, c steps.Credentials, src, dst steps.ClusterSummary, register bool, on func(steps.Event)) ([]steps.Check, error)
	ListIndices(ctx context.Context, p steps.Plan, c steps.Credentials) ([]esclient.Index, error)
	Repositories(ctx context.Context, p steps.Plan, c steps.Credentials) (src, dst steps.RepositoryView, err error)
	SelectionChecks(ctx context.Context, p steps.Plan, c steps.Credentials, src, dst steps.ClusterSummary, sel steps.Selection, on func(steps.Event)) ([]steps.Check, error)
	PlannedRequests(p steps.Plan, c steps.Credentials, batches []steps.Batch) ([]steps.PlannedRequest, error)
	SetupCommands(p steps.Plan, distro string) (nfs.Setup, error)
	Run(ctx context.Context, p steps.Plan, c steps.Credentials, acceptWarnings bool, on func(steps.Event)) (*steps.Report, error)
	Cleanup(ctx context.Context, p steps.Plan, c steps.Credentials, o steps.CleanupOptions, allowTargetDelete bool, on func(steps.Event)) error
}

type engineBackend struct{}

// placeholders fill what steps.New validates but a read before the selection does not need.
func placeholders(p steps.Plan) steps.Plan {
	if len(p.Indices) == 0 {
		p.Indices = []string{"*"}
	}
	if p.Repository.SourceLocation == "" {
		p.Repository.SourceLocation = "/esmigrate-not-chosen-yet"
	}
	if p.Repository.TargetLocation == "" && !p.Repository.Shared {
		p.Repository.TargetLocation = p.Repository.SourceLocation
	}
	return p
}

func (engineBackend) engine(p steps.Plan, o steps.Options) (*steps.Engine, error) {
	return steps.New(placeholders(p), o)
}

func (engineBackend) Probe(ctx context.Context, p steps.Plan, role string, c steps.Credentials) (steps.ClusterSummary, error) {
	return steps.ProbeCluster(ctx, p, role, c)
}

func (b engineBackend) ClusterChecks(ctx context.Context, p steps.Plan, c steps.Credentials, src, dst steps.ClusterSummary, register bool, on func(steps.Event)) ([]steps.Check, error) {
	eng, err := b.engine(p, steps.Options{Credentials: c, OnEvent: on, DryRun: !register})
	if err != nil {
		return nil, err
	}
	return eng.ClusterChecks(ctx, src, dst), nil
}

func (b engineBackend) ListIndices(ctx context.Context, p steps.Plan, c steps.Credentials) ([]esclient.Index, error) {
	eng, err := b.engine(p, steps.Options{Credentials: c})
	if err != nil {
		return nil, err
	}
	return eng.ListIndices(ctx)
}

func (b engineBackend) Repositories(ctx context.Context, p steps.Plan, c steps.Credentials) (steps.RepositoryView, steps.RepositoryView, error) {
	eng, err := b.engine(p, steps.Options{Credentials: c})
	if err != nil {
		return steps.RepositoryView{}, steps.RepositoryView{}, err
	}
	return eng.Repositories(ctx)
}

func (b engineBackend) SelectionChecks(ctx context.Context, p steps.Plan, c steps.Credentials, src, dst steps.ClusterSummary, sel steps.Selection, on func(steps.Event)) ([]steps.Check, error) {
	eng, err := b.engine(p, steps.Options{Credentials: c, OnEvent: on})
	if err != nil {
		return nil, err
	}
	return eng.SelectionChecks(ctx, src, dst, sel), nil
}

func (b engineBackend) PlannedRequests(p steps.Plan, c steps.Credentials, batches []steps.Batch) ([]steps.PlannedRequest, error) {
	eng, err := b.engine(p, steps.Options{Credentials: c})
	if err != nil {
		return nil, err
	}
	return eng.PlannedRequests(batches), nil
}

func (engineBackend) SetupCommands(p steps.Plan, distro string) (nfs.Setup, error) {
	return steps.SetupCommands(p, distro)
}

func (engineBackend) Run(ctx context.Context, p steps.Plan, c steps.Credentials, accept bool, on func(steps.Event)) (*steps.Report, error) {
	eng, err := steps.New(p, steps.Options{Credentials: c, OnEvent: on, AcceptWarnings: accept})
	if err != nil {
		return nil, err
	}
	return eng.Run(ctx)
}

func (engineBackend) Cleanup(ctx context.Context, p steps.Plan, c steps.Credentials, o steps.CleanupOptions, allow bool, on func(steps.Event)) error {
	eng, err := steps.New(p, steps.Options{Credentials: c, OnEvent: on, AllowTargetDelete: allow})
	if err != nil {
		return err
	}
	return eng.Cleanup(ctx, o)
}

// Streams: long work (checks, the run) runs on a goroutine of its own and reports through a channel that a
// tea.Cmd reads ("listen for activity"). The work never touches the model; its events arrive as messages.

// streamMsg carries the events that arrived since the last one, and the end of the work when it ended.
type streamMsg struct {
	id     int
	events []steps.Event
	done   bool
	result any
	err    error
	s      *stream
}

type streamEnd struct {
	result any
	err    error
}

// stream is one piece of work's events (ch, closed when the work returned) and its end (end, written just
// before ch is closed). The end has a channel of its own with room for it, so that the goroutine never waits to
// hand it over: after the program ended nobody reads, and it must still finish.
type stream struct {
	ch  chan steps.Event
	end chan streamEnd
}

// startStream runs work on its own goroutine and returns the command that reads its first events.
func startStream(id int, work func(emit func(steps.Event)) (any, error)) tea.Cmd {
	return func() tea.Msg {
		s := &stream{ch: make(chan steps.Event, 2048), end: make(chan streamEnd, 1)}
		go func() {
			res, err := work(s.emit)
			s.end <- streamEnd{res, err}
			close(s.ch)
		}()
		return s.read(id)
	}
}

// emit hands an event to the UI. Progress may be dropped when the UI lags (the next one says the same, and
// fresher); every other event waits for room.
func (s *stream) emit(e steps.Event) {
	if e.Kind == steps.KindProgress {
		select {
		case s.ch <- e:
		default:
		}
		return
	}
	// Every other event waits for room, but not forever: when the program has ended nobody reads any more,
	// and the engine must still be able to save its state and return.
	t := time.NewTimer(2 * time.Second)
	defer t.Stop()
	select {
	case s.ch <- e:
	case <-t.C:
	}
}

// next is the command that reads the following events.
func (s *stream) next(id int) tea.Cmd {
	return func() tea.Msg { return s.read(id) }
}

// read waits for the next event and takes what else has arrived (up to 256); once the events are all read,
// the end.
func (s *stream) read(id int) tea.Msg {
	m := streamMsg{id: id, s: s}
	e, ok := <-s.ch
	for ok {
		m.events = append(m.events, e)
		if len(m.events) == 256 {
			return m
		}
		select {
		case e, ok = <-s.ch:
		default:
			return m
		}
	}
	end := <-s.end
	m.done, m.result, m.err = true, end.result, end.err
	return m
}

// ioCmd runs a blocking call and delivers its message.
func ioCmd(f func() tea.Msg) tea.Cmd { return f }

// ioTimeout runs a blocking call that gives up after d (or when the program ends) and delivers its message.
func ioTimeout(ctx context.Context, d time.Duration, f func(ctx context.Context) tea.Msg) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		return f(ctx)
	}
}
