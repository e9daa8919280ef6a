package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newRunCommand is `esmigrate run --plan plan.yaml`: the whole procedure, headless.
func newRunCommand(f *clusterFlags) *cobra.Command {
	run := &cobra.Command{
		Use:   "run",
		Short: "Run a migration headless from a plan file, with line-by-line progress",
		Long: `Runs the whole procedure from a plan file without a terminal UI: progress goes to standard output one
line per event, so it works in CI, under nohup and over a plain SSH session. The exit code is 0 only when every
index verified. If it stops (Ctrl-C, hang-up), run 'esmigrate resume': it continues where it stopped.

Flags and the environment (ES_SOURCE_URL...) fill in and override what the plan file says.` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.planPath == "" {
				return usageError{errors.New("--plan is required (write one with `esmigrate plan -o plan.yaml`)")}
			}
			p, creds, err := f.resolve(cmd, true)
			if err != nil {
				return err
			}
			return runHeadless(cmd.OutOrStdout(), p, creds, f)
		},
	}
	f.register(run, false)
	run.Flags().BoolVar(&f.dryRun, "dry-run", false, "print every request that would change something, as curl commands, and send none")
	run.Flags().BoolVar(&f.acceptWarnings, "accept-warnings", false, "start although pre-flight checks warned (failures always stop)")
	run.Flags().BoolVar(&f.allowTargetDelete, "allow-delete-target", false, "with on_conflict: delete, allow deleting existing TARGET indices in the way")
	return run
}
