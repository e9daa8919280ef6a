package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/esmigrate/esmigrate/i18n"
	"github.com/esmigrate/esmigrate/steps"
)

// signalContext is cancelled by Ctrl-C, SIGTERM or a hang-up (a dropped SSH session): the engine then saves its
// state and stops following; Elasticsearch finishes what it started.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
}

// runHeadless drives the engine with line-by-line output.
func runHeadless(out io.Writer, p steps.Plan, creds steps.Credentials, f *clusterFlags) error {
	w := bufio.NewWriter(out)
	lines := make(chan string, 1024)
	done := make(chan struct{})
	go func() {
		// A writer of its own: a slow or gone terminal must not block the engine.
		for l := range lines {
			w.WriteString(l + "\n")
			w.Flush()
		}
		close(done)
	}()
	if p.Source.Insecure || p.Target.Insecure {
		fmt.Fprintln(f.stderr, "esmigrate: "+f.l.T("cmd.insecure"))
	}
	eng, err := steps.New(p, steps.Options{
		Credentials: creds, DryRun: f.dryRun, AcceptWarnings: f.acceptWarnings, AllowTargetDelete: f.allowTargetDelete,
		AllowTargetSettings: f.allowTargetSettings, MeasureShares: f.measureShares,
		AllowMetadataOverwrite: f.allowMetadataOverwrite,
		Resuming:               f.resuming, Lang: f.l.Lang(),
		OnEvent: func(e steps.Event) {
			// Each line in the command's language (--lang, or the locale): Event.Text is String in English.
			line := e.Time.Format("15:04:05") + " " + e.Text(f.l)
			if e.Kind == steps.KindRequest && f.dryRun {
				line = "# " + f.l.Msg(e.MessageText()) + "\n" + e.Curl
			}
			if e.Kind != steps.KindProgress {
				lines <- line // requests, checks, errors: every one is printed
				return
			}
			select {
			case lines <- line:
			default: // a progress line may be dropped rather than hold the engine up (the next one follows)
			}
		},
	})
	if err != nil {
		close(lines)
		<-done
		return err
	}
	ctx, stop := signalContext()
	defer stop()
	rep, err := eng.Run(ctx)
	close(lines)
	<-done
	if rep != nil && rep.Markdown != "" {
		fmt.Fprintf(out, "\n%s\n", f.l.T("cmd.report", rep.SummaryMsg(), rep.Markdown))
	}
	return err
}

// stateEngine builds an engine on a migration's state file (the commands that go on from a run: catch-up,
// cutover), printing every event as a line. The plan is the state's own.
func stateEngine(out io.Writer, f *clusterFlags, o steps.Options) (*steps.Engine, steps.Plan, error) {
	path := f.state
	if path == "" {
		path = steps.DefaultPlan().StateFile
	}
	st, err := steps.ReadState(path)
	if errors.Is(err, steps.ErrNoState) {
		return nil, steps.Plan{}, usageError{i18n.Errorf("cmd.verify.nostate", path)}
	}
	if err != nil {
		return nil, steps.Plan{}, err
	}
	p := st.Plan
	p.StateFile = path
	creds, err := f.credentials(p, true)
	if err != nil {
		return nil, p, err
	}
	var mu sync.Mutex
	o.Credentials, o.DryRun, o.AllowTargetDelete, o.Lang = creds, f.dryRun, f.allowTargetDelete, f.l.Lang()
	o.OnEvent = func(e steps.Event) {
		// Each line in the command's language, as runHeadless prints them.
		line := e.Time.Format("15:04:05") + " " + e.Text(f.l)
		if e.Kind == steps.KindRequest && f.dryRun {
			line = "# " + f.l.Msg(e.MessageText()) + "\n" + e.Curl
		}
		mu.Lock()
		fmt.Fprintln(out, line)
		mu.Unlock()
	}
	eng, err := steps.New(p, o)
	return eng, p, err
}
