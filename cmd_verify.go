package main

import (
	"errors"
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/esmigrate/esmigrate/steps"
)

// newVerifyCommand is `esmigrate verify`: a migration's restored indices checked again from its state file, for
// instance just before the applications move to the target, or once writes to the source have stopped.
func newVerifyCommand(f *clusterFlags) *cobra.Command {
	var mode string
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check a migration's restored indices again (count, seqno or content), from its state file",
		Long: `Compares every index the migration restored with its source as it is now, and writes a new report:

  count    equal numbers of top-level documents
  seqno    also every primary shard's sequence numbers and the source index's UUID: no write reached the
           source after the snapshot (the plan's default)
  content  also every document's id, routing and _source, read on both sides; differing documents are named

Nothing is restored and nothing is changed on either cluster. The exit code is 0 only when every index verified.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := f.state
			if path == "" {
				path = "esmigrate-state.json"
			}
			if mode != "" && !slices.Contains(steps.VerifyModes, mode) {
				return usageError{fmt.Errorf("--mode %q: use count, seqno or content", mode)}
			}
			st, err := steps.ReadState(path)
			if errors.Is(err, steps.ErrNoState) {
				return usageError{fmt.Errorf("no state file at %s: give the migration's state file with --state", path)}
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
			out := cmd.OutOrStdout()
			eng, err := steps.New(p, steps.Options{Credentials: creds, OnEvent: func(e steps.Event) {
				fmt.Fprintln(out, e.Time.Format("15:04:05")+" "+e.String())
			}})
			if err != nil {
				return err
			}
			ctx, stop := signalContext()
			defer stop()
			rep, err := eng.Verify(ctx, mode)
			if rep != nil && rep.Markdown != "" {
				fmt.Fprintf(out, "\n%s. Report: %s\n", rep.Summary(), rep.Markdown)
			}
			return err
		},
	}
	cmd.Flags().StringVar(&f.state, "state", "", "state file of the migration (default esmigrate-state.json)")
	cmd.Flags().StringVar(&mode, "mode", "", "count, seqno or content (default: the plan's verify)")
	cmd.Flags().StringVar(&f.sourcePassword, "source-password", "", "source password (prefer ES_SOURCE_PASSWORD: flags show in ps)")
	cmd.Flags().StringVar(&f.targetPassword, "target-password", "", "target password (prefer ES_TARGET_PASSWORD)")
	return cmd
}
