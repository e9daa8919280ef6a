package main

import (
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/esmigrate/esmigrate/i18n"
	"github.com/esmigrate/esmigrate/steps"
)

// newVerifyCommand is `esmigrate verify`: a migration's restored indices checked again from its state file, for
// instance just before the applications move to the target, or once writes to the source have stopped.
func newVerifyCommand(f *clusterFlags) *cobra.Command {
	t := f.l.T
	var mode string
	cmd := &cobra.Command{
		Use:   "verify",
		Short: t("cmd.verify.short"),
		Long:  t("cmd.verify.long"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if mode != "" && !slices.Contains(steps.VerifyModes, mode) {
				return usageError{i18n.Errorf("cmd.verify.mode", mode)}
			}
			p, creds, err := f.migrationOfState("cmd.verify.nostate")
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			eng, err := steps.New(p, steps.Options{Credentials: creds, Lang: f.l.Lang(), OnEvent: func(e steps.Event) {
				fmt.Fprintln(out, e.Time.Format("15:04:05")+" "+e.Text(f.l))
			}})
			if err != nil {
				return err
			}
			ctx, stop := signalContext()
			defer stop()
			rep, err := eng.Verify(ctx, mode)
			if rep != nil && rep.Markdown != "" {
				fmt.Fprintf(out, "\n%s\n", f.l.T("cmd.report", rep.SummaryMsg(), rep.Markdown))
			}
			return err
		},
	}
	cmd.Flags().StringVar(&f.state, "state", "", t("flag.verify.state"))
	cmd.Flags().StringVar(&mode, "mode", "", t("flag.verify.mode"))
	cmd.Flags().StringVar(&f.sourcePassword, "source-password", "", t("flag.verify.source-password"))
	cmd.Flags().StringVar(&f.targetPassword, "target-password", "", t("flag.verify.target-password"))
	return cmd
}
