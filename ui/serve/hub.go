package serve

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/esmigrate/esmigrate/i18n"
	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/ui"
)

// Hub is the one migration of esmigrate serve and the sessions that show it. The wizard (package ui, built
// with ui.NewServed) runs in a Bubble Tea program of its own that has no terminal: it lives as long as the
// server, and the engine it starts runs in the server process whatever happens to any SSH session. The session
// that drives sends it its keys and its window size and shows the frames it draws; the others watch: they
// get what the operator chose (Choices) and every event of the run, and draw them for their own terminal.
type Hub struct {
	log *slog.Logger

	prog  *tea.Program // the wizard's program
	wiz   *ui.Model    // the wizard: touched only on the program's goroutine
	sess  *ui.Session
	input chan input // the driver's keys and sizes, in order, to the wizard

	mu       sync.Mutex
	red      redactor
	clients  map[int]*client
	nextID   int
	driver   int // the client that drives (0: none)
	frame    string
	choices  Choices
	events   eventLog
	run      runState
	seed     *steps.State // the state a resume goes on from (the wizard's session, copied on its goroutine)
	stopping bool
}

// runState is the migration's run as the sessions that watch see it.
type runState struct {
	ID      int // one more at each start of a run (a start again after accepted warnings is a new run)
	Running bool
	Started time.Time
	Ended   time.Time
	Report  *steps.Report
	Err     i18n.Msg     // how it ended, when with an error (secrets hidden)
	Stopped bool         // it stopped (the server stops): it goes on at the next start
	Seed    *steps.State // a resumed migration's state when it was resumed (what it had done before)
}

// client is one SSH session.
type client struct {
	id     int
	who    Identity
	notify chan struct{} // something changed (coalesced)
	w, h   int
	notice i18n.Msg // told once: someone took over from this session
	copy   string   // text the wizard copied, for this driver's terminal (OSC 52)
	leave  bool     // the wizard ended this driver's session (the operator left)
}

type input struct {
	from int
	msg  tea.Msg
}

// driverSize is the driving session's window size, for the wizard.
type driverSize tea.WindowSizeMsg

// HubOptions build a hub.
type HubOptions struct {
	Wizard ui.Options // the plan and credentials the wizard starts from (flags, environment), its language
	Pause  *steps.PauseGate
	Log    *slog.Logger
	Engine ui.Backend // nil: the real engine (tests give a fake one)
}

// NewHub builds the wizard and its program; Run runs it.
func NewHub(ctx context.Context, o HubOptions) *Hub {
	h := &Hub{log: o.Log, clients: map[int]*client{}, input: make(chan input, 256)}
	if h.log == nil {
		h.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	h.red.learn(o.Wizard.Plan, o.Wizard.Credentials)
	h.wiz, h.sess = ui.NewServed(ctx, ui.ServedOptions{Options: o.Wizard, Pause: o.Pause,
		Backend: func(b ui.Backend) ui.Backend {
			if o.Engine != nil {
				b = o.Engine
			}
			return teeBackend{Backend: b, h: h}
		}})
	h.prog = tea.NewProgram(hubModel{h}, tea.WithContext(ctx), tea.WithInput(nil), tea.WithOutput(io.Discard),
		tea.WithoutRenderer(), tea.WithoutSignalHandler())
	return h
}

// Run runs the wizard until ctx ends, then waits (up to a minute) for a migration that runs to save its state
// and stop following Elasticsearch. It fails only when the wizard's program does.
func (h *Hub) Run(ctx context.Context) error {
	// The input loop ends with the program too, not only with ctx: a program that ends another way (the wizard
	// quits) must not leave it blocked, sending to a finished program.
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case <-done:
				return
			case in := <-h.input:
				h.mu.Lock()
				ok := in.from == h.driver
				h.mu.Unlock()
				if ok {
					h.prog.Send(in.msg)
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	_, err := h.prog.Run()
	h.mu.Lock()
	h.stopping = true
	h.notifyAll()
	h.mu.Unlock()
	// The migration's own outcome is on the screens and in its report, not in the server's exit code: a server
	// stopped after a failed batch exits 0 and is not restarted by systemd into the same failure.
	h.sess.WaitRun(time.Minute)
	if err != nil && !errors.Is(err, tea.ErrProgramKilled) && ctx.Err() == nil {
		return err
	}
	return nil
}

// hubModel is the wizard's program model: the wizard, and after each of its updates what the sessions see.
type hubModel struct{ h *Hub }

func (m hubModel) Init() tea.Cmd {
	cmd := m.h.wiz.Init()
	m.h.publish()
	return cmd
}

func (m hubModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case ui.LeaveMsg:
		m.h.driverLeaves()
		return m, nil
	case ui.ClipboardMsg:
		m.h.toDriver(msg.Text)
		return m, nil
	case tea.WindowSizeMsg:
		// The program has no terminal: a size it reports of its own is not the driver's.
		return m, nil
	case driverSize:
		msg2 := tea.WindowSizeMsg(msg)
		_, cmd := m.h.wiz.Update(msg2)
		m.h.publish()
		return m, cmd
	}
	_, cmd := m.h.wiz.Update(msg)
	m.h.publish()
	return m, cmd
}

func (m hubModel) View() tea.View { return tea.NewView("") }

// publish hands the wizard's frame and choices to the sessions (on the wizard's goroutine).
func (h *Hub) publish() {
	frame := h.wiz.Render()
	h.mu.Lock()
	defer h.mu.Unlock()
	// The operator may type credentials at any time: the redactor learns them before anything is shown.
	h.red.learn(h.sess.Plan, h.sess.Creds)
	ch := choicesOf(h.sess, h.wiz.Step(), &h.red)
	h.seed = nil
	if h.sess.Resuming {
		h.seed = h.sess.Prev
	}
	if frame != h.frame {
		h.frame = frame
		if c := h.clients[h.driver]; c != nil {
			c.poke()
		}
	}
	if !ch.equal(h.choices) {
		h.choices = ch
		h.notifyAll()
	}
}

func (c *client) poke() {
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

// notifyAll tells every session that something changed (h.mu held).
func (h *Hub) notifyAll() {
	for _, c := range h.clients {
		c.poke()
	}
}

// Attach adds a session (its terminal's size); an operator drives at once when nobody does.
func (h *Hub) Attach(who Identity, w, hgt int) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.nextID++
	c := &client{id: h.nextID, who: who, notify: make(chan struct{}, 1), w: w, h: hgt}
	h.clients[c.id] = c
	h.log.Info("session attached", "who", who.Name, "key", who.Fingerprint, "operator", who.Operator)
	if who.Operator && h.driver == 0 {
		h.setDriver(c)
	}
	h.notifyAll()
	return c.id
}

// Detach removes a session (it ended or its connection dropped): nothing is lost, the wizard waits for the
// next operator where this one left it.
func (h *Hub) Detach(id int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.clients[id]
	if c == nil {
		return
	}
	delete(h.clients, id)
	if h.driver == id {
		h.driver = 0
		h.log.Info("the driver left", "who", c.who.Name)
	}
	h.log.Info("session detached", "who", c.who.Name)
	h.notifyAll()
}

// TakeOver makes an operator's session the one that drives; the session that drove is told. A session that
// is not an operator's cannot.
func (h *Hub) TakeOver(id int) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.clients[id]
	if c == nil || !c.who.Operator {
		return false
	}
	if old := h.clients[h.driver]; old != nil && old.id != id {
		old.notice = i18n.M("serve.tookover", c.who.Name, time.Now().Format("15:04:05"))
		h.log.Info("take-over", "who", c.who.Name, "from", old.who.Name)
	}
	h.setDriver(c)
	h.notifyAll()
	return true
}

// setDriver makes c drive: the wizard draws for its terminal from now on (h.mu held).
func (h *Hub) setDriver(c *client) {
	h.driver = c.id
	h.log.Info("drives", "who", c.who.Name)
	h.queue(input{from: c.id, msg: driverSize{Width: c.w, Height: c.h}})
}

// queue hands a message to the wizard without waiting (h.mu may be held): the input channel has room for a
// burst of typing; beyond it a key is dropped rather than the server held up.
func (h *Hub) queue(in input) {
	select {
	case h.input <- in:
	default:
		h.log.Warn("input dropped: the wizard lags", "from", in.from)
	}
}

// Key hands the driver's key (or paste) to the wizard. Keys of a session that does not drive are not.
func (h *Hub) Key(id int, msg tea.Msg) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if id != h.driver {
		return false
	}
	h.queue(input{from: id, msg: msg})
	return true
}

// Resize records a session's size; the driver's is the wizard's.
func (h *Hub) Resize(id, w, hgt int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c := h.clients[id]; c != nil {
		c.w, c.h = w, hgt
	}
	if id == h.driver {
		h.queue(input{from: id, msg: driverSize{Width: w, Height: hgt}})
	}
}

// toDriver hands a copy of the wizard's to the driving session's terminal.
func (h *Hub) toDriver(text string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c := h.clients[h.driver]; c != nil {
		c.copy = text
		c.poke()
	}
}

// driverLeaves ends the session that drives (the operator left the wizard): on the wizard's goroutine.
func (h *Hub) driverLeaves() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c := h.clients[h.driver]; c != nil {
		c.leave = true
		c.poke()
		h.log.Info("the driver left the wizard", "who", c.who.Name)
	}
	h.driver = 0
	h.notifyAll()
}

// view is what a session sees now: for the driver the wizard's frame; for every session who drives, the
// choices, the run and its events after cursor.
type view struct {
	You     Identity
	Driving bool
	Driver  string // who drives ("" nobody)
	Frame   string
	Choices Choices
	Run     runState
	Events  []steps.Event
	Cursor  int
	Notice  i18n.Msg
	Copy    string // the wizard copied this: to the terminal's clipboard
	Leave   bool   // this session ends (its operator left the wizard, or the server stops)
}

// viewMsg delivers a view to a session's model.
type viewMsg struct{ v view }

func (h *Hub) view(id, cursor int) view {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.clients[id]
	if c == nil {
		return view{Leave: true}
	}
	v := view{You: c.who, Driving: h.driver == id, Choices: h.choices, Run: h.run, Notice: c.notice,
		Leave: c.leave || h.stopping}
	v.Copy = c.copy
	c.notice, c.copy = i18n.Msg{}, ""
	if d := h.clients[h.driver]; d != nil {
		v.Driver = d.who.Name
	}
	if v.Driving {
		v.Frame = h.frame
	}
	v.Events, v.Cursor = h.events.since(cursor)
	return v
}

// next is the command that waits for a change and delivers the session's view (nil when its session ends).
func (h *Hub) next(ctx context.Context, id, cursor int) tea.Cmd {
	h.mu.Lock()
	c := h.clients[id]
	h.mu.Unlock()
	if c == nil {
		return nil
	}
	return func() tea.Msg {
		select {
		case <-c.notify:
		case <-ctx.Done():
			return nil
		}
		return viewMsg{h.view(id, cursor)}
	}
}

// teeBackend is the engine as the served wizard reaches it: a run's events also go to the sessions that
// watch (with secrets hidden), and its start and end are the run they show.
type teeBackend struct {
	ui.Backend
	h *Hub
}

func (b teeBackend) Run(ctx context.Context, p steps.Plan, c steps.Credentials, o ui.RunOptions, pause *steps.PauseGate, on func(steps.Event)) (*steps.Report, error) {
	h := b.h
	h.mu.Lock()
	h.red.learn(p, c)
	h.run = runState{ID: h.run.ID + 1, Running: true, Started: time.Now(), Seed: h.seed}
	h.events.reset()
	h.notifyAll()
	h.mu.Unlock()
	h.log.Info("migration started", "state", p.StateFile)
	rep, err := b.Backend.Run(ctx, p, c, o, pause, func(e steps.Event) {
		h.record(e)
		on(e)
	})
	var stop *steps.StoppedError
	stopped := errors.As(err, &stop)
	h.mu.Lock()
	h.run.Running, h.run.Ended, h.run.Report, h.run.Stopped = false, time.Now(), rep, stopped
	if err != nil {
		h.run.Err = h.red.msg(i18n.MsgOf(err))
	}
	h.notifyAll()
	h.mu.Unlock()
	if rep != nil && !stopped && pause != nil {
		pause.Resume() // a run that ended holds nothing: the next one does not start paused
	}
	h.log.Info("migration ended", "error", err)
	return rep, err
}

func (b teeBackend) Cleanup(ctx context.Context, p steps.Plan, c steps.Credentials, o steps.CleanupOptions, allow bool, on func(steps.Event)) error {
	return b.Backend.Cleanup(ctx, p, c, o, allow, func(e steps.Event) {
		b.h.record(e)
		on(e)
	})
}

// record keeps an event for the sessions that watch (secrets hidden) and tells them.
func (h *Hub) record(e steps.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events.add(h.red.event(e))
	for id, c := range h.clients {
		if id != h.driver {
			c.poke()
		}
	}
}
