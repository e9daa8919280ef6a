package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/esmigrate/esmigrate/steps"
)

// newPlanCommand is `esmigrate plan`: a commented plan file from flags (and a plan file to start from).
func newPlanCommand(f *clusterFlags) *cobra.Command {
	var output string
	plan := &cobra.Command{
		Use:   "plan",
		Short: "Write a commented plan.yaml from flags (to a file with -o, or to standard output)",
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
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: read it, then run `esmigrate run --plan %s --dry-run`\n", name, name)
			return nil
		},
	}
	f.register(plan, false)
	plan.Flags().StringVarP(&output, "output", "o", "", "`FILE` to write the plan to (never overwritten: a numbered name instead); default standard output")
	return plan
}
