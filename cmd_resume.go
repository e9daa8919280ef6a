package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/esmigrate/esmigrate/i18n"
	"github.com/esmigrate/esmigrate/steps"
)

// newResumeCommand is `esmigrate resume`: go on from the state file.
func newResumeCommand(f *clusterFlags) *cobra.Command {
	t := f.l.T
	resume := &cobra.Command{
		Use:   "resume",
		Short: t("cmd.resume.short"),
		Long:  t("cmd.resume.long") + "\n" + t("cmd.exitcodes"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, creds, err := f.migrationOfState("cmd.resume.nostate")
			if err != nil {
				return err
			}
			f.acceptWarnings = true // the pre-flight ran before the first start
			f.resuming = true
			return runHeadless(cmd.OutOrStdout(), p, creds, f)
		},
	}
	resume.Flags().StringVar(&f.state, "state", "", t("flag.resume.state"))
	resume.Flags().StringVar(&f.sourcePassword, "source-password", "", t("flag.resume.source-password"))
	resume.Flags().StringVar(&f.targetPassword, "target-password", "", t("flag.resume.target-password"))
	resume.Flags().BoolVar(&f.allowTargetDelete, "allow-delete-target", false, t("flag.resume.allow-delete-target"))
	resume.Flags().BoolVar(&f.allowTargetSettings, "allow-target-settings", false, t("flag.resume.allow-target-settings"))
	resume.Flags().BoolVar(&f.allowMetadataOverwrite, "allow-metadata-overwrite", false, t("flag.allow-metadata-overwrite"))
	return resume
}

// migrationOfState reads the plan of the migration whose state file --state names (the default state file
// otherwise) and the credentials for it; noState is the message for a path that holds no state, which says what
// the command needs instead.
func (f *clusterFlags) migrationOfState(noState string) (steps.Plan, steps.Credentials, error) {
	path := f.state
	if path == "" {
		path = steps.DefaultPlan().StateFile
	}
	st, err := steps.ReadState(path)
	if errors.Is(err, steps.ErrNoState) {
		return steps.Plan{}, steps.Credentials{}, usageError{i18n.Errorf(noState, path)}
	}
	if err != nil {
		return steps.Plan{}, steps.Credentials{}, err
	}
	p := st.Plan
	p.StateFile = path
	creds, err := f.credentials(p, true)
	return p, creds, err
}
