package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/esmigrate/esmigrate/i18n"
)

func newVersionCommand(l *i18n.Localizer) *cobra.Command {
	t := l.T
	return &cobra.Command{
		Use:   "version",
		Short: t("cmd.version.short"),
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintf(cmd.OutOrStdout(), "esmigrate %s (commit %s, built %s, %s %s/%s)\n", version, commit, date, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		},
	}
}
