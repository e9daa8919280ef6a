package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

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
		Resuming: f.resuming, Lang: f.l.Lang(),
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
