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
	t := f.l.T
	var confirm string
	var aliases []string
	var rollback, noContent bool
	cmd := &cobra.Command{
		Use:   "cutover",
		Short: t("cmd.cutover.short"),
		Long:  t("cmd.cutover.long"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			moves := map[string]string{}
			for _, a := range splitAll(aliases) {
				alias, index, ok := strings.Cut(a, "=")
				if !ok || alias == "" || index == "" {
					return usageError{i18n.Errorf("cmd.cutover.alias", a)}
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
					fmt.Fprintln(out, f.l.T("live.sum.freeze", c.Freeze.Round(time.Millisecond)))
				}
				if rep.Markdown != "" {
					fmt.Fprintln(out, f.l.T("cmd.report", rep.SummaryMsg(), rep.Markdown))
				}
			}
			return err
		},
	}
	cmd.Flags().StringVar(&f.state, "state", "", t("flag.cutover.state"))
	cmd.Flags().StringVar(&confirm, "confirm", "", t("flag.cutover.confirm"))
	cmd.Flags().StringSliceVar(&aliases, "alias", nil, t("flag.cutover.alias"))
	cmd.Flags().BoolVar(&rollback, "rollback", false, t("flag.cutover.rollback"))
	cmd.Flags().BoolVar(&noContent, "no-content", false, t("flag.cutover.no-content"))
	cmd.Flags().BoolVar(&f.dryRun, "dry-run", false, t("flag.cutover.dry-run"))
	cmd.Flags().BoolVar(&f.allowTargetDelete, "allow-delete-target", false, t("flag.cutover.allow-delete-target"))
	cmd.Flags().StringVar(&f.sourcePassword, "source-password", "", t("flag.cutover.source-password"))
	cmd.Flags().StringVar(&f.targetPassword, "target-password", "", t("flag.cutover.target-password"))
	return cmd
}

// askCutover asks on the terminal for the source cluster's name; without a terminal the cut-over needs
// --confirm (a state whose cut-over runs needs no answer: it was confirmed).
func askCutover(ctx context.Context, f *clusterFlags, p steps.Plan) (string, error) {
	if st, err := steps.ReadState(p.StateFile); err == nil && st.Live != nil && st.Live.Cutover.Active() {
		return "", nil
	}
	if !term.IsTerminal(int(os.Stdin.Fd())) {
		return "", usageError{i18n.Errorf("cmd.cutover.noterminal")}
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
	fmt.Fprint(f.stderr, f.l.T("live.ask", steps.CutoverWord(src))+" ")
	line, err := bufio.NewReader(f.stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", usageError{i18n.Errorf("cmd.cutover.noanswer")}
	}
	return strings.TrimSpace(line), nil
}
