package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/esmigrate/esmigrate/steps"
)

// newPlanCommand is `esmigrate plan`: a commented plan file from flags (and a plan file to start from).
func newPlanCommand(f *clusterFlags) *cobra.Command {
	t := f.l.T
	var output string
	plan := &cobra.Command{
		Use:   "plan",
		Short: t("cmd.plan.short"),
		Example: `  esmigrate plan --source http://old:9200 --target http://new:9200 \
    --source-location /opt/data/es_backup --target-location /opt/data/es_backup --shared \
    --indices 'logs-*' --indices articles -o plan.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := f.plan(cmd)
			if err != nil {
				return err
			}
			if output == "" || output == "-" {
				_, err = cmd.OutOrStdout().Write(p.YAML())
				return err
			}
			// A new file, never an existing one (a numbered name instead), never through a link, mode 0600.
			name, err := steps.SaveNew(output, p.YAMLFor)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), t("cmd.plan.wrote", name))
			return nil
		},
	}
	f.register(plan)
	plan.Flags().StringVarP(&output, "output", "o", "", t("flag.plan.output"))
	return plan
}
