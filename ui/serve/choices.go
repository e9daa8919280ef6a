package serve

import (
	"reflect"

	"github.com/esmigrate/esmigrate/ui"
)

// Choices are what the operator has chosen so far, as the waiting screen shows them to the sessions that
// watch: the plan's names, paths and counts, with URLs stripped of their user part and every secret hidden.
// It is made on the wizard's goroutine (the session belongs to it) and read by the others as a value.
type Choices struct {
	Step             int // the wizard's step, 1..ui.Steps (0: the start screen of an unfinished migration)
	Source, Target   string
	SourceProduct    string // "Elasticsearch 7.10.2" once the connection was tested
	TargetProduct    string
	Repository       string
	SourceLocation   string
	TargetLocation   string
	Shared           bool
	Patterns         []string // the plan's index patterns
	Selected         int      // indices in the batches (0 before the index step)
	SelectedBytes    int64
	Batches          int
	BatchMax         string
	Rename, RenameTo string
	Accepted         int // warnings the operator accepted
	Resuming         bool
}

func choicesOf(s *ui.Session, step int, r *redactor) Choices {
	p := s.Plan
	c := Choices{Step: step, Source: r.url(p.Source.URL), Target: r.url(p.Target.URL),
		Repository: r.text(p.Repository.Name), SourceLocation: r.text(p.Repository.SourceLocation),
		TargetLocation: r.text(p.Repository.TargetLocation), Shared: p.Repository.Shared,
		BatchMax: p.BatchMaxSize, Rename: r.text(p.Restore.RenamePattern), RenameTo: r.text(p.Restore.RenameReplacement),
		Batches: len(s.Batches), Resuming: s.Resuming}
	if s.Src.Info.ClusterUUID != "" || s.Src.Info.VersionText != "" {
		c.SourceProduct = s.Src.Info.Product()
	}
	if s.Dst.Info.ClusterUUID != "" || s.Dst.Info.VersionText != "" {
		c.TargetProduct = s.Dst.Info.Product()
	}
	for _, pat := range p.Indices {
		c.Patterns = append(c.Patterns, r.text(pat))
	}
	for _, b := range s.Batches {
		c.Selected += len(b.Indices)
		c.SelectedBytes += b.PrimaryBytes
	}
	for _, ok := range s.Acked {
		if ok {
			c.Accepted++
		}
	}
	return c
}

func (c Choices) equal(o Choices) bool { return reflect.DeepEqual(c, o) }
