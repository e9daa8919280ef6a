package main

import (
	"github.com/spf13/cobra"

	"github.com/esmigrate/esmigrate/i18n"
)

// newRunCommand is `esmigrate run --plan plan.yaml`: the whole procedure, headless.
func newRunCommand(f *clusterFlags) *cobra.Command {
	t := f.l.T
	run := &cobra.Command{
		Use:   "run",
		Short: t("cmd.run.short"),
		Long:  t("cmd.run.long") + "\n" + t("cmd.exitcodes"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.planPath == "" {
				return usageError{i18n.Errorf("cmd.run.noplan")}
			}
			p, creds, err := f.resolve(cmd, true)
			if err != nil {
				return err
			}
			return runHeadless(cmd.OutOrStdout(), p, creds, f)
		},
	}
	f.register(run)
	run.Flags().BoolVar(&f.dryRun, "dry-run", false, t("flag.run.dry-run"))
	run.Flags().BoolVar(&f.acceptWarnings, "accept-warnings", false, t("flag.run.accept-warnings"))
	run.Flags().BoolVar(&f.allowTargetDelete, "allow-delete-target", false, t("flag.run.allow-delete-target"))
	run.Flags().BoolVar(&f.measureShares, "measure-shares", false, t("flag.run.measure-shares"))
	run.Flags().BoolVar(&f.allowTargetSettings, "allow-target-settings", false, t("flag.run.allow-target-settings"))
	run.Flags().BoolVar(&f.allowMetadataOverwrite, "allow-metadata-overwrite", false, t("flag.allow-metadata-overwrite"))
	return run
}
