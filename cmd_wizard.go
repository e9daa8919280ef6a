package main

import (
	"errors"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/ui"
)

// newWizardCommand is esmigrate without a command: the terminal wizard.
func newWizardCommand(f *clusterFlags) *cobra.Command {
	root := &cobra.Command{
		Use:   "esmigrate",
		Short: "Move Elasticsearch indices to a new cluster by snapshot and restore over NFS",
		Long: `esmigrate walks you through moving indices from an old Elasticsearch cluster to a new one by snapshot
and restore over a shared-filesystem (NFS) repository: connect, pre-flight checks, NFS setup commands,
repositories, index selection, snapshot, copy, restore, verification and clean-up.

Without a command it starts the wizard. Connection settings come from flags, from the environment
(ES_SOURCE_URL, ES_SOURCE_USER, ES_SOURCE_PASSWORD, ES_SOURCE_API_KEY, and the same with TARGET),
or from a plan file. Passwords are never echoed, stored or logged; a user:password@ written into a URL is
taken out of it and used as the user and the password.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, creds, err := f.resolve(cmd, false)
			if err != nil {
				return err
			}
			if !term.IsTerminal(int(os.Stdin.Fd())) || !term.IsTerminal(int(os.Stdout.Fd())) {
				return usageError{errors.New("the wizard needs a terminal; over SSH use `ssh -t`, or run headless with `esmigrate run --plan plan.yaml`")}
			}
			// The files the migration will write, before the first request: a link planted at the lock or a
			// report directory that is a file is said now, not after an hour of work.
			if err := steps.CheckOutputs(p); err != nil {
				return err
			}
			ctx, stop := signalContext()
			defer stop()
			return ui.Run(ctx, ui.Options{Plan: p, Credentials: creds, Lang: f.lang, PlanPath: f.planPath})
		},
	}
	f.register(root, true)
	return root
}
