package steps

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/esmigrate/esmigrate/esclient"
	"github.com/esmigrate/esmigrate/i18n"
)

// Options tune how the engine runs.
type Options struct {
	Credentials Credentials
	// OnEvent receives every event, from the engine's goroutine; it must return quickly.
	OnEvent func(Event)
	// DryRun sends no request that changes anything and prints what it would send.
	DryRun bool
	// AllowTargetDelete lets on_conflict: delete remove existing target indices. The wizard sets it after a
	// typed confirmation; the headless mode after --allow-delete-target.
	AllowTargetDelete bool
	// AllowTargetSettings lets the plan's restore.target_recovery_max_bytes_per_sec change the target cluster's
	// indices.recovery.max_bytes_per_sec for the migration (put back at its end). The wizard sets it after a
	// typed confirmation; the headless mode after --allow-target-settings.
	AllowTargetSettings bool
	// MeasureShares makes the pre-flight measure the shares' write and read rates with a probe file (32 MiB or
	// 2 s of writing, then read back past the page cache) and propose throttles that fit them (throttle.go). Off
	// unless asked (the wizard asks; headless: --measure-shares): the probe loads a production share and costs
	// seconds that a migration of a few small indices would otherwise not spend.
	MeasureShares bool
	// AllowMetadataOverwrite is the operator's confirmation that the metadata step may overwrite the target's
	// items the plan names for it (metadata.on_conflict: overwrite, metadata.overwrite). The wizard sets it
	// after a typed confirmation; the headless mode after --allow-metadata-overwrite.
	AllowMetadataOverwrite bool
	// AcceptWarnings lets the migration start although pre-flight checks warned.
	AcceptWarnings bool
	// Resuming: this run is `esmigrate resume`, whose plan is the state file's own. Advice to "resume" is then
	// no advice: a failure that repeats the previous attempt's says that its cause must be fixed first.
	Resuming bool
	// StallTimeout stops a phase with an error when nothing moved for that long (default 15 minutes).
	StallTimeout time.Duration
	// RetryFor is how long transient errors (unreachable, 429, 503) are retried (default 5 minutes).
	RetryFor time.Duration
	// ObserveRequests sees every request sent to either cluster.
	ObserveRequests func(esclient.Sent)
	// SourceTransport/TargetTransport replace the HTTP transports (tests inject faults).
	SourceTransport, TargetTransport http.RoundTripper
	// Now is the clock (tests).
	Now func() time.Time
	// Pause, when set, holds a run between its phases while it is paused (pause.go).
	Pause *PauseGate
	// Lang is the operator's language ("en", "zh"): the Markdown report is written in it. Events, errors and
	// the JSON report carry message keys and are put into a language where they are shown.
	Lang string
}

// Engine runs a migration plan.
type Engine struct {
	plan  Plan
	opts  Options
	src   *esclient.Client
	dst   *esclient.Client
	em    *emitter
	store *Store
	state *State
	// shareNeeds is what the selected indices need on the shares (set by Preflight for the share checks).
	shareNeeds int64
	// srcSum and dstSum are the clusters as Run found them (versions decide snapshot metadata and scan modes).
	srcSum, dstSum ClusterSummary
	// inv is the metadata inventory the pre-flight built (the run's metadata step copies from it).
	inv *MetadataInventory
	// where is the batch and phase the run is at (a position; pause.go reads it from another goroutine).
	where       atomic.Value
	saidPausing atomic.Bool // the current pause was explained (KindPausing)
	// round is the catch-up round running (live.go): its events carry it.
	round int
	// lane is the engine lock of a run's two lanes (pipeline.go); pipe their coordination, nil outside a run.
	lane sync.Mutex
	pipe *pipeline
	// advice is what the pre-flight measured of the shares and proposes (throttle.go).
	advice *Advice
}

// New prepares an engine for a plan. It validates the plan and builds both clients; it sends nothing.
func New(p Plan, o Options) (*Engine, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.StallTimeout == 0 {
		o.StallTimeout = 15 * time.Minute
	}
	if o.RetryFor == 0 {
		o.RetryFor = 5 * time.Minute
	}
	e := &Engine{plan: p, opts: o, em: newEmitter(o.OnEvent, o.Now)}
	var err error
	e.src, err = esclient.New(e.clusterConfig("source"))
	if err != nil {
		return nil, &InputError{Err: err}
	}
	e.dst, err = esclient.New(e.clusterConfig("target"))
	if err != nil {
		return nil, &InputError{Err: err}
	}
	return e, nil
}

// InputError is a mistake in what the operator gave besides the plan's fields: a CA file that is not there, a
// password without a user, an API key together with a password. Nothing was sent.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }

// Localize is the mistake as a message.
func (e *InputError) Localize() i18n.Msg { return i18n.MsgOf(e.Err) }
func (e *InputError) Unwrap() error      { return e.Err }

// ClusterConfig builds the client configuration of one cluster from a plan and credentials.
// A user and password still written into the URL (the wizard's form) are taken out of it here too.
func ClusterConfig(p Plan, role string, c Credentials) esclient.Config {
	cp, pw, key := p.Source, c.SourcePassword, c.SourceAPIKey
	if role == "target" {
		cp, pw, key = p.Target, c.TargetPassword, c.TargetAPIKey
	}
	if clean, user, upw, has := SplitURLCredentials(cp.URL); clean != cp.URL {
		cp.URL = clean
		if cp.Username == "" {
			cp.Username = user
		}
		if has && cp.urlPassword == "" {
			cp.urlPassword = upw
		}
	}
	if pw == "" {
		pw = cp.urlPassword
	}
	return esclient.Config{Role: role, URL: cp.URL, Username: cp.Username, Password: pw, APIKey: key,
		PasswordEnv: cp.PasswordEnv, APIKeyEnv: cp.APIKeyEnv, CACert: cp.CACert, Insecure: cp.Insecure,
		// The source is only ever read (and snapshotted): its client refuses anything else.
		ReadOnly: role == "source", Repository: p.Repository.Name}
}

func (e *Engine) clusterConfig(role string) esclient.Config {
	cfg := ClusterConfig(e.plan, role, e.opts.Credentials)
	cfg.Observe = e.opts.ObserveRequests
	if role == "source" {
		cfg.Transport = e.opts.SourceTransport
	} else {
		cfg.Transport = e.opts.TargetTransport
	}
	return cfg
}

// Plan is the engine's plan.
func (e *Engine) Plan() Plan { return e.plan }

// Source is the source cluster's client (read-only).
func (e *Engine) Source() *esclient.Client { return e.src }

// Target is the target cluster's client.
func (e *Engine) Target() *esclient.Client { return e.dst }

// State returns a copy of the migration state (nil before Run loaded or created it).
func (e *Engine) State() *State {
	if e.state == nil {
		return nil
	}
	c := *e.state
	return &c
}

func (e *Engine) emit(ev Event) {
	if e.round > 0 && ev.Round == 0 {
		ev.Round = e.round
	}
	e.em.emit(ev)
}

// say tells the operator something: the message key and its arguments (package i18n).
func (e *Engine) say(phase Phase, batch int, level Level, key string, args ...any) {
	e.emit(Event{Kind: KindLog, Level: level, Phase: phase, Batch: batch, Batches: e.batches(), Msg: i18n.M(key, args...)})
}

func (e *Engine) batches() int {
	if e.state == nil {
		return 0
	}
	return len(e.state.Batches)
}

// request announces a request that changes something (with its curl form) and, unless this is a dry run,
// sends it.
func (e *Engine) request(ctx context.Context, c *esclient.Client, phase Phase, batch int, op i18n.Msg, req esclient.Request) error {
	e.emit(Event{Kind: KindRequest, Phase: phase, Batch: batch, Batches: e.batches(), Msg: op, Curl: c.Curl(req)})
	if e.opts.DryRun {
		return nil
	}
	return c.Do(ctx, op, req, nil)
}

// retry runs f until it succeeds, fails permanently, or transient failures (unreachable cluster, 429, 503)
// have lasted longer than RetryFor. Only idempotent work goes through here.
func (e *Engine) retry(ctx context.Context, phase Phase, batch int, f func() error) error {
	deadline := e.opts.Now().Add(e.opts.RetryFor)
	wait := time.Second
	for {
		err := f()
		if err == nil || !esclient.IsTransient(err) || ctx.Err() != nil {
			return err
		}
		if e.opts.Now().After(deadline) {
			return i18n.Errorf("retry.gaveup", err, e.opts.RetryFor.String())
		}
		e.say(phase, batch, LevelWarn, "retry.again", err, wait.String())
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		if wait < 30*time.Second {
			wait *= 2
		}
	}
}

// retryN is retry with a few quick attempts only: at the first connection a wrong URL must be said at once,
// not after minutes of retries. A listener that did not answer in time is not asked again: it holds every
// attempt for the whole time-out.
func (e *Engine) retryN(ctx context.Context, phase Phase, attempts int, f func() error) error {
	var err error
	wait := 500 * time.Millisecond
	for i := 0; i < attempts; i++ {
		if err = f(); err == nil || !esclient.IsTransient(err) || ctx.Err() != nil || esclient.IsType(err, esclient.TypeTimeout) {
			return err
		}
		if i+1 < attempts {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
			wait *= 2
		}
	}
	return err
}

// save writes the state (not in a dry run).
func (e *Engine) save() error {
	if e.opts.DryRun || e.store == nil {
		return nil
	}
	e.state.Updated = e.opts.Now()
	return e.store.Save(e.state)
}

// StoppedError says that the migration stopped because it was cancelled (the operator quit, the SSH session
// hung up): nothing is lost and `esmigrate resume` goes on.
type StoppedError struct {
	Phase     Phase
	Batch     int
	StatePath string
	// NothingStarted: stopped before the first batch (connecting, pre-flight): no snapshot or restore runs,
	// and there is nothing for resume to follow.
	NothingStarted bool
}

func (e *StoppedError) Error() string { return e.Localize().String() }

// Localize is the error as a message.
func (e *StoppedError) Localize() i18n.Msg {
	where := i18n.M("run.phase." + string(e.Phase))
	if e.Batch > 0 {
		where = i18n.M("stopped.batch", e.Batch, where)
	}
	if e.NothingStarted {
		return i18n.M("stopped.nothing", where)
	}
	return i18n.M("stopped.resume", where, e.StatePath)
}

// PreflightError is a pre-flight that found failures (or warnings nobody accepted).
type PreflightError struct {
	Checks   []Check
	Warnings bool // only warnings, which nobody accepted
}

func (e *PreflightError) Error() string { return e.Localize().String() }

// Localize is the error as a message: what happened, then every check with its fix, a line each.
func (e *PreflightError) Localize() i18n.Msg {
	head := i18n.M("preflight.failed")
	if e.Warnings {
		head = i18n.M("preflight.warned")
	}
	lines := []i18n.Msg{head}
	for _, c := range e.Checks {
		title := c.TitleMsg
		if title.IsZero() {
			title = i18n.Text(c.Title)
		}
		lines = append(lines, i18n.M("preflight.check", i18n.M("check.status."+string(c.Status)), title, c.EvidenceText()))
		if fix := c.FixText(); !fix.IsZero() {
			lines = append(lines, i18n.M("preflight.fix", fix))
		}
	}
	return i18n.List("list.line", lines)
}
