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
	var threshold time.Duration
	var rounds int
	cmd := &cobra.Command{
		Use:   "catch-up",
		Short: "Bring the target up to date with what changed on the source since the first pass (live migration)",
		Long: `For the migrated indices whose source took writes since their snapshot (per-shard sequence numbers), runs
rounds of: an incremental snapshot (only new segment files are written), a copy of the repository's new files,
on the target a close and a restore over the closed index (Elasticsearch reuses the files that are identical),
and a verification. Each round shows its time and bytes and the estimate of the next one, from the files its
snapshot had to write. Rounds repeat until the next one is estimated under the threshold: then
'esmigrate cutover' blocks writes on the source for a last round about that long.

Nothing is written to a source index. A target index the restore cannot go over (another number of shards)
is deleted and restored whole only with --allow-delete-target.

Exit codes:
  0  ready: the next round is estimated under the threshold, or nothing changed
  1  not ready yet (the rounds stopped getting shorter, or max_rounds ran), or a failure
  2  bad usage or input
  3  stopped (Ctrl-C, a hang-up): run it again, it goes on`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if threshold != 0 && threshold < time.Second {
				return usageError{fmt.Errorf("--threshold %s: give at least 1s", threshold)}
			}
			if rounds < 0 {
				return usageError{fmt.Errorf("--rounds %d: give a number of rounds (0: until ready)", rounds)}
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
			fmt.Fprintln(out, liveSummary(st))
			if !st.Ready {
				return i18n.Errorf("live.notready", f.stateOrDefault())
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&f.state, "state", "", "`FILE`: state file of the migration (default esmigrate-state.json)")
	cmd.Flags().DurationVar(&threshold, "threshold", 0, "rounds repeat until the next one is estimated under this (default: the plan's live.threshold, 30s)")
	cmd.Flags().IntVar(&rounds, "rounds", 0, "run at most this many rounds (default: until ready, at most the plan's live.max_rounds)")
	cmd.Flags().BoolVar(&f.dryRun, "dry-run", false, "print every request a round would send, as curl commands, and send none")
	cmd.Flags().BoolVar(&f.allowTargetDelete, "allow-delete-target", false, "delete and restore whole a TARGET index the restore cannot go over")
	cmd.Flags().StringVar(&f.sourcePassword, "source-password", "", "source password (prefer ES_SOURCE_PASSWORD: flags show in ps)")
	cmd.Flags().StringVar(&f.targetPassword, "target-password", "", "target password (prefer ES_TARGET_PASSWORD)")
	return cmd
}

func (f *clusterFlags) stateOrDefault() string {
	if f.state != "" {
		return f.state
	}
	return steps.DefaultPlan().StateFile
}

// liveSummary is where a live migration stands, in a few lines.
func liveSummary(st *steps.LiveStatus) string {
	if st == nil {
		return ""
	}
	s := i18n.M("live.sum.changed", len(st.Changed), st.Indices).String()
	if n := len(st.Rounds); n > 0 {
		r := st.Rounds[n-1]
		s += "\n" + i18n.M("live.sum.round", r.Number, r.Duration.Round(100*time.Millisecond), steps.HumanBytes(r.SnapshotBytes),
			steps.HumanBytes(r.ReusedBytes), steps.HumanBytes(r.RestoredBytes)).String()
	}
	if st.Estimated {
		s += "\n" + i18n.M("live.sum.next", st.NextEstimate.Round(100*time.Millisecond), st.Threshold).String()
	}
	if st.Ready {
		s += "\n" + i18n.M("live.sum.ready").String()
	}
	return s
}
