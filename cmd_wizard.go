package main

import (
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/esmigrate/esmigrate/i18n"
	"github.com/esmigrate/esmigrate/steps"
	"github.com/esmigrate/esmigrate/ui"
)

// newWizardCommand is esmigrate without a command: the terminal wizard.
func newWizardCommand(f *clusterFlags) *cobra.Command {
	t := f.l.T
	root := &cobra.Command{
		Use:           "esmigrate",
		Short:         t("cmd.root.short"),
		Long:          t("cmd.root.long"),
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, creds, err := f.resolve(cmd, false)
			if err != nil {
				return err
			}
			if !term.IsTerminal(int(os.Stdin.Fd())) || !term.IsTerminal(int(os.Stdout.Fd())) {
				return usageError{i18n.Errorf("cmd.wizard.noterminal")}
			}
			// The files the migration will write, before the first request: a link planted at the lock or a
			// report directory that is a file is said now, not after an hour of work.
			if err := steps.CheckOutputs(p); err != nil {
				return err
			}
			ctx, stop := signalContext()
			defer stop()
			return ui.Run(ctx, ui.Options{Plan: p, Credentials: creds, Lang: f.l.Lang(), PlanPath: f.planPath})
		},
	}
	f.register(root)
	return root
}
