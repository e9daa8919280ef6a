// Command esmigrate moves indices from an old Elasticsearch cluster to a new one by snapshot and restore over a
// shared-filesystem (NFS) repository: as a terminal wizard (esmigrate), or headless from a plan file
// (esmigrate run --plan plan.yaml).
//
// One file per command: cmd_wizard.go (the root command), cmd_run.go, cmd_resume.go, cmd_plan.go,
// cmd_nfssetup.go, cmd_version.go, cmd_verify.go, cmd_serve.go, cmd_catchup.go, cmd_cutover.go, cmd_copy.go; flags.go holds the flags
// they share and how they make a plan.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/esmigrate/esmigrate/i18n"
	"github.com/esmigrate/esmigrate/steps"
)

// Set by the release build (-ldflags "-X main.version=... -X main.commit=... -X main.date=...").
var (
	version = "dev"
	commit  = "none"
	date    = "unknown"
)

// Exit codes.
const (
	exitOK      = 0 // every index verified (run, resume), or the command did what it says
	exitError   = 1 // something failed: an index did not verify, a cluster refused, the report could not be written
	exitUsage   = 2 // bad usage or input: nothing was sent to either cluster
	exitStopped = 3 // stopped (Ctrl-C, a hang-up): run it again, or resume
)

func main() {
	os.Exit(execute(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// execute runs a command line and returns its exit code.
func execute(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	l := i18n.New(commandLang(args, os.Getenv))
	f := &clusterFlags{stdin: stdin, stderr: stderr, l: l}
	root := newWizardCommand(f)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	// --lang for every command: the wizard's language, the headless output's and the help's (read before
	// parsing by commandLang; declared here so that cobra accepts it anywhere).
	root.PersistentFlags().StringVar(&f.lang, "lang", "", l.T("flag.lang"))
	root.AddCommand(newRunCommand(f), newResumeCommand(f), newPlanCommand(f), newNFSSetupCommand(l), newVersionCommand(l), newVerifyCommand(f), newServeCommand(f),
		newCatchUpCommand(f), newCutoverCommand(f), newCopyCommand(l))
	localizeCobra(root, l)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	if m, ok := cobraMsg(err); ok {
		fmt.Fprintln(stderr, "esmigrate:", l.Msg(m))
	} else {
		fmt.Fprintln(stderr, "esmigrate:", l.Error(err))
	}
	return exitCode(err)
}

// exitCode sorts an error into the exit codes.
func exitCode(err error) int {
	var (
		ue   usageError
		stop *steps.StoppedError
		pe   *steps.PlanError
		ie   *steps.InputError
		oe   *steps.OutputError
	)
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &stop):
		return exitStopped
	case errors.As(err, &ue), errors.As(err, &pe), errors.As(err, &ie), errors.As(err, &oe), isCobraUsage(err):
		return exitUsage
	}
	return exitError
}

// usageError is a mistake on the command line.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// Localize is the mistake in the screen's language, when it has a message.
func (e usageError) Localize() i18n.Msg { return i18n.MsgOf(e.error) }

func isCobraUsage(err error) bool {
	s := err.Error()
	return strings.HasPrefix(s, "unknown flag") || strings.HasPrefix(s, "unknown command") || strings.Contains(s, "flag needs an argument") ||
		strings.HasPrefix(s, "invalid argument") || strings.HasPrefix(s, "unknown shorthand flag") || strings.HasPrefix(s, "accepts ")
}
