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
			path := f.state
			if path == "" {
				path = steps.DefaultPlan().StateFile
			}
			st, err := steps.ReadState(path)
			if errors.Is(err, steps.ErrNoState) {
				return usageError{i18n.Errorf("cmd.resume.nostate", path)}
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
	resume.Flags().StringVar(&f.state, "state", "", t("flag.resume.state"))
	resume.Flags().StringVar(&f.sourcePassword, "source-password", "", t("flag.resume.source-password"))
	resume.Flags().StringVar(&f.targetPassword, "target-password", "", t("flag.resume.target-password"))
	resume.Flags().BoolVar(&f.allowTargetDelete, "allow-delete-target", false, t("flag.resume.allow-delete-target"))
	resume.Flags().BoolVar(&f.allowTargetSettings, "allow-target-settings", false, t("flag.resume.allow-target-settings"))
	resume.Flags().BoolVar(&f.allowMetadataOverwrite, "allow-metadata-overwrite", false, t("flag.allow-metadata-overwrite"))
	return resume
}
