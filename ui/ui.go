// Package ui is the Bubble Tea wizard. It shows the steps of the engine (package steps) and never talks to
// Elasticsearch itself.
package ui

import (
	"context"
	"errors"

	"github.com/esmigrate/esmigrate/steps"
)

// Options start the wizard.
type Options struct {
	Plan        steps.Plan        // prefilled from flags, environment, a plan file or a previous state file
	Credentials steps.Credentials // from flags, environment or a prompt; never written anywhere
	Lang        string            // "en" or "zh"; "" = from LANG/LC_ALL
	PlanPath    string            // where "save plan" writes
}

// Run shows the wizard until the operator quits or the migration ends.
func Run(ctx context.Context, o Options) error {
	return errors.New("the wizard is not built yet: use `esmigrate run --plan plan.yaml`")
}
