package nfs

import (
	"context"
	"sync"
)

// holdCopy is the pause point before each file of a copy phase: while the copy's Pauser says paused, it waits
// for the files in flight, makes them durable and renames them into place, then holds.
func holdCopy(ctx context.Context, pr *progress, inflight *sync.WaitGroup, cm *committer) error {
	p := pr.o.Pause
	if p == nil || !p.Paused() {
		return nil
	}
	inflight.Wait()
	if err := cm.finish(); err != nil {
		return err
	}
	pr.emit()
	_, files := pr.snapshot()
	return p.Hold(ctx, files, pr.filesTotal)
}
