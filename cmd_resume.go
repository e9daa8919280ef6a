package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/esmigrate/esmigrate/steps"
)

// newResumeCommand is `esmigrate resume`: go on from the state file.
func newResumeCommand(f *clusterFlags) *cobra.Command {
	resume := &cobra.Command{
		Use:   "resume",
		Short: "Continue a migration that stopped, from its state file",
		Long: `Reads the state file (default esmigrate-state.json), which holds the plan, and goes on: a snapshot or a
restore still running in Elasticsearch is followed, not started again; finished phases are not redone.` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := f.state
			if path == "" {
				path = steps.DefaultPlan().StateFile
			}
			st, err := steps.ReadState(path)
			if errors.Is(err, steps.ErrNoState) {
				return usageError{fmt.Errorf("no state file at %s: give it with --state, or start with `esmigrate run --plan`", path)}
			}
			if err != nil {
				return err
			}
			p := st.Plan
			p.StateFile = path
			creds, err := f.credentials(p, true)
			if err != nil {
				return err
			}
			f.acceptWarnings = true // the pre-flight ran before the first start
			f.resuming = true
			return runHeadless(cmd.OutOrStdout(), p, creds, f)
		},
	}
	resume.Flags().StringVar(&f.state, "state", "", "`FILE`: state file of the migration (default esmigrate-state.json)")
	resume.Flags().StringVar(&f.sourcePassword, "source-password", "", "source password (prefer ES_SOURCE_PASSWORD: flags show in ps)")
	resume.Flags().StringVar(&f.targetPassword, "target-password", "", "target password (prefer ES_TARGET_PASSWORD)")
	resume.Flags().BoolVar(&f.allowTargetDelete, "allow-delete-target", false, "with on_conflict: delete, allow deleting existing TARGET indices in the way")
	return resume
}
