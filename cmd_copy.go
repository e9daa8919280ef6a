package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/esmigrate/esmigrate/i18n"
	"github.com/esmigrate/esmigrate/steps"
)

// newCopyCommand is `esmigrate copy`: the repository copy of a migration on its own, to run on the NFS server
// itself (disk to disk, no second trip over the network) for repositories of hundreds of GB. It is the copy the
// migration makes, with the same progress lines: resumable (run it again and it takes only what is missing),
// only the files of finished snapshots, index.latest last. A migration whose copy finds it running waits for it.
func newCopyCommand(l *i18n.Localizer) *cobra.Command {
	t := l.T
	var (
		workers            int
		limit              string
		prune, allowTarget bool
		interval           int
	)
	cmd := &cobra.Command{
		Use:   "copy SOURCE_DIR TARGET_DIR",
		Short: t("cmd.copy.short"),
		Long:  t("cmd.copy.long") + "\n" + t("cmd.exitcodes"),
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var bps int64
			if limit != "" {
				n, err := steps.ParseBytes(limit)
				if err != nil {
					return usageError{i18n.Errorf("cmd.copy.limit", err)}
				}
				bps = n
			}
			if workers < 1 || workers > 64 {
				return usageError{i18n.Errorf("cmd.copy.workers", workers)}
			}
			if _, err := os.Stat(args[0]); err != nil {
				return usageError{i18n.Errorf("cmd.copy.source", args[0], err)}
			}
			out := cmd.OutOrStdout()
			fmt.Fprintln(out, l.Msg(i18n.M("copy.start", args[0], args[1])))
			ctx, stop := signalContext()
			defer stop()
			res, err := steps.CopyRepository(ctx, args[0], args[1], steps.CopyCommand{Workers: workers, BytesPerSecond: bps,
				Prune: prune, AllowForeignTarget: allowTarget, ProgressInterval: interval}, func(e steps.Event) {
				fmt.Fprintln(out, e.Time.Format("15:04:05")+" "+e.Text(l))
			})
			if err != nil {
				if ctx.Err() != nil {
					return &steps.StoppedError{Phase: steps.PhaseTransfer, StatePath: t("cmd.copy.nostate")}
				}
				return err
			}
			fmt.Fprintln(out, l.Msg(steps.CopyDone(res)))
			return nil
		},
	}
	cmd.Flags().IntVar(&workers, "workers", 4, t("flag.copy.workers"))
	cmd.Flags().StringVar(&limit, "bandwidth-limit", "", t("flag.copy.bandwidth-limit"))
	cmd.Flags().BoolVar(&prune, "prune", false, t("flag.copy.prune"))
	cmd.Flags().BoolVar(&allowTarget, "allow-foreign-target", false, t("flag.copy.allow-foreign-target"))
	cmd.Flags().IntVar(&interval, "progress-interval", 1, t("flag.copy.progress-interval"))
	return cmd
}
