package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/esmigrate/esmigrate/i18n"
	"github.com/esmigrate/esmigrate/steps"
)

// newCutoverCommand is `esmigrate cutover`: the write block on the source, the last round, the freeze measured;
// and `esmigrate cutover --rollback`.
func newCutoverCommand(f *clusterFlags) *cobra.Command {
	var confirm string
	var aliases []string
	var rollback, noContent bool
	cmd := &cobra.Command{
		Use:   "cutover",
		Short: "Block writes on the source indices for a last round, measure the write freeze (live migration); --rollback lifts the block",
		Long: `After 'esmigrate catch-up' said the next round is short, and only after you typed the source cluster's name
(--confirm NAME, or at the prompt):

  1. PUT <index>/_block/write on the migrated source indices: the one change esmigrate ever makes to a source
     index. The state file records it before the request is sent.
  2. the last round for what changed before the block, restored without the block (ignore_index_settings);
  3. every index verified by sequence numbers;
  4. the aliases of the plan's live.aliases (and --alias) moved on the target, alias → index.

The write freeze ends there: the writers can move to the target. Its length (from the block request to that
point) goes into the report. Content verification follows, the source still blocked; the source stays blocked
after the cut-over.

--rollback lifts the block and moves the aliases back, at any point, also after a crash: the state file says
whether the block may be on, and 'esmigrate resume' goes on with a cut-over that stopped.

Exit codes:
  0  the cut-over finished and every index verified (or the rollback lifted the block)
  1  a failure: the block stays; run it again, or --rollback
  2  bad usage or input (no confirmation): nothing was changed
  3  stopped: the block may be on; resume or --rollback`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			moves := map[string]string{}
			for _, a := range splitAll(aliases) {
				alias, index, ok := strings.Cut(a, "=")
				if !ok || alias == "" || index == "" {
					return usageError{fmt.Errorf("--alias %q: give ALIAS=INDEX (the target index the alias moves to)", a)}
				}
				moves[alias] = index
			}
			out := cmd.OutOrStdout()
			eng, p, err := stateEngine(out, f, steps.Options{})
			if err != nil {
				return err
			}
			ctx, stop := signalContext()
			defer stop()
			if rollback {
				_, err := eng.Rollback(ctx)
				return err
			}
			if confirm == "" && !f.dryRun {
				if confirm, err = askCutover(ctx, f, p); err != nil {
					return err
				}
			}
			rep, err := eng.Cutover(ctx, steps.CutoverOptions{Confirm: confirm, Aliases: moves, NoContent: noContent})
			if rep != nil && rep.Live != nil && rep.Live.Cutover != nil {
				if c := rep.Live.Cutover; c.Done() || !c.FreezeEnd.IsZero() {
					fmt.Fprintln(out)
					fmt.Fprintln(out, i18n.M("live.sum.freeze", c.Freeze.Round(time.Millisecond)).String())
				}
				if rep.Markdown != "" {
					fmt.Fprintf(out, "%s. Report: %s\n", rep.Summary(), rep.Markdown)
				}
			}
			return err
		},
	}
	cmd.Flags().StringVar(&f.state, "state", "", "`FILE`: state file of the migration (default esmigrate-state.json)")
	cmd.Flags().StringVar(&confirm, "confirm", "", "`NAME`: the source cluster's name, typed to confirm the write block")
	cmd.Flags().StringSliceVar(&aliases, "alias", nil, "`ALIAS=INDEX`: move this alias to this target index at the cut-over (repeat; besides the plan's live.aliases)")
	cmd.Flags().BoolVar(&rollback, "rollback", false, "lift the cut-over's write block from the source and move the aliases back")
	cmd.Flags().BoolVar(&noContent, "no-content", false, "skip the content verification after the freeze")
	cmd.Flags().BoolVar(&f.dryRun, "dry-run", false, "print every request the cut-over would send, as curl commands, and send none")
	cmd.Flags().BoolVar(&f.allowTargetDelete, "allow-delete-target", false, "delete and restore whole a TARGET index the restore cannot go over")
	cmd.Flags().StringVar(&f.sourcePassword, "source-password", "", "source password (prefer ES_SOURCE_PASSWORD: flags show in ps)")
	cmd.Flags().StringVar(&f.targetPassword, "target-password", "", "target password (prefer ES_TARGET_PASSWORD)")
	return cmd
}

// askCutover asks on the terminal for the source cluster's name; without a terminal the cut-over needs
// --confirm (a state whose cut-over runs needs no answer: it was confirmed).
func askCutover(ctx context.Context, f *clusterFlags, p steps.Plan) (string, error) {
	if st, err := steps.ReadState(p.StateFile); err == nil && st.Live != nil && st.Live.Cutover.Active() {
		return "", nil
	}
	if !term.IsTerminal(int(os.Stdin.Fd())) {
		return "", usageError{fmt.Errorf("a cut-over puts a write block on the source indices: confirm with --confirm and the source cluster's name (no terminal to ask on)")}
	}
	creds, err := f.credentials(p, true)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	src, err := steps.ProbeCluster(ctx, p, "source", creds)
	if err != nil {
		return "", err
	}
	fmt.Fprint(f.stderr, i18n.M("live.ask", steps.CutoverWord(src)).String()+" ")
	line, err := bufio.NewReader(f.stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", usageError{fmt.Errorf("no answer: nothing was changed")}
	}
	return strings.TrimSpace(line), nil
}
