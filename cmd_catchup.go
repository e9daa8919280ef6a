package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/esmigrate/esmigrate/i18n"
	"github.com/esmigrate/esmigrate/steps"
)

// newCatchUpCommand is `esmigrate catch-up`: catch-up rounds of a live migration, from its state file.
func newCatchUpCommand(f *clusterFlags) *cobra.Command {
	t := f.l.T
	var threshold time.Duration
	var rounds int
	cmd := &cobra.Command{
		Use:   "catch-up",
		Short: t("cmd.catchup.short"),
		Long:  t("cmd.catchup.long"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if threshold != 0 && threshold < time.Second {
				return usageError{i18n.Errorf("cmd.catchup.threshold", threshold)}
			}
			if rounds < 0 {
				return usageError{i18n.Errorf("cmd.catchup.rounds", rounds)}
			}
			out := cmd.OutOrStdout()
			eng, _, err := stateEngine(out, f, steps.Options{})
			if err != nil {
				return err
			}
			ctx, stop := signalContext()
			defer stop()
			st, err := eng.CatchUp(ctx, steps.CatchUpOptions{Rounds: rounds, Threshold: threshold})
			if err != nil {
				return err
			}
			if f.dryRun {
				return nil
			}
			fmt.Fprintln(out)
			fmt.Fprintln(out, liveSummary(f.l, st))
			if !st.Ready {
				return i18n.Errorf("live.notready", f.stateOrDefault())
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&f.state, "state", "", t("flag.catchup.state"))
	cmd.Flags().DurationVar(&threshold, "threshold", 0, t("flag.catchup.threshold"))
	cmd.Flags().IntVar(&rounds, "rounds", 0, t("flag.catchup.rounds"))
	cmd.Flags().BoolVar(&f.dryRun, "dry-run", false, t("flag.catchup.dry-run"))
	cmd.Flags().BoolVar(&f.allowTargetDelete, "allow-delete-target", false, t("flag.catchup.allow-delete-target"))
	cmd.Flags().StringVar(&f.sourcePassword, "source-password", "", t("flag.catchup.source-password"))
	cmd.Flags().StringVar(&f.targetPassword, "target-password", "", t("flag.catchup.target-password"))
	return cmd
}

func (f *clusterFlags) stateOrDefault() string {
	if f.state != "" {
		return f.state
	}
	return steps.DefaultPlan().StateFile
}

// liveSummary is where a live migration stands, in a few lines.
func liveSummary(l *i18n.Localizer, st *steps.LiveStatus) string {
	if st == nil {
		return ""
	}
	s := l.T("live.sum.changed", len(st.Changed), st.Indices)
	if n := len(st.Rounds); n > 0 {
		r := st.Rounds[n-1]
		s += "\n" + l.T("live.sum.round", r.Number, r.Duration.Round(100*time.Millisecond), steps.HumanBytes(r.SnapshotBytes),
			steps.HumanBytes(r.ReusedBytes), steps.HumanBytes(r.RestoredBytes))
	}
	if st.Estimated {
		s += "\n" + l.T("live.sum.next", st.NextEstimate.Round(100*time.Millisecond), st.Threshold)
	}
	if st.Ready {
		s += "\n" + l.T("live.sum.ready")
	}
	return s
}
