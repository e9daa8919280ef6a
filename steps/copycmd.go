package steps

import (
	"context"
	"time"

	"github.com/esmigrate/esmigrate/i18n"
	"github.com/esmigrate/esmigrate/nfs"
)

// CopyCommand tunes a repository copy: the transfer phase of a batch, or `esmigrate copy` run on its own (on the
// NFS server itself, disk to disk, for a repository of hundreds of GB).
type CopyCommand struct {
	Workers            int
	BytesPerSecond     int64 // 0: unlimited
	Prune              bool
	AllowForeignTarget bool
	Pause              nfs.Pauser
	ProgressInterval   int // seconds between progress events; 0: the copy's default (a quarter of a second)
	// Batch and Batches place the events in a migration (0 for esmigrate copy).
	Batch, Batches int
}

// CopyRepository copies the fs repository src to dst (nfs.CopyRepository: only what the current generation names,
// resumable, index.latest last) and tells its progress as transfer events, the lines the migration's copy shows.
func CopyRepository(ctx context.Context, src, dst string, c CopyCommand, emit func(Event)) (nfs.CopyResult, error) {
	o := nfs.CopyOptions{Workers: c.Workers, BytesPerSecond: c.BytesPerSecond, Prune: c.Prune, AllowForeignTarget: c.AllowForeignTarget,
		Pause: c.Pause,
		Progress: func(p nfs.CopyProgress) {
			emit(Event{Time: time.Now(), Kind: KindProgress, Phase: PhaseTransfer, Batch: c.Batch, Batches: c.Batches,
				Done:  Counts{Bytes: p.BytesDone, Files: p.FilesDone},
				Total: Counts{Bytes: p.BytesTotal, Files: p.FilesTotal}, Rate: p.BytesPerSecond, ETA: p.ETA, Msg: i18n.Name(p.CurrentFile)})
		}}
	if c.ProgressInterval > 0 {
		o.ProgressInterval = secondsDuration(c.ProgressInterval)
	}
	return nfs.CopyRepository(ctx, src, dst, o)
}

// CopyDone is the line that ends a copy: what it copied and what was there already.
func CopyDone(r nfs.CopyResult) i18n.Msg {
	return i18n.M("steps.copy.done", r.FilesCopied, HumanBytes(r.BytesCopied), r.FilesSkipped, HumanBytes(r.BytesSkipped), r.Generation, r.Duration.Round(1e6).String())
}

func secondsDuration(s int) time.Duration { return time.Duration(s) * time.Second }
