// Package nfs knows everything about the shared filesystem that Elasticsearch cannot tell us: whether the
// repository path is really on NFS, whether the Elasticsearch uid can write there, whether the NFS server
// answers and exports the path to this host, what /etc/exports and /etc/fstab say, which commands set it all
// up, and how to copy an `fs` repository from one share to another safely.
//
// It is used by the engine's pre-flight and transfer phases and must not import steps, ui or esclient: it
// reports facts (Result) and the engine decides what to do with them.
package nfs

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Status is the verdict of one check.
type Status string

const (
	OK   Status = "ok"
	Warn Status = "warn"
	Fail Status = "fail"
)

// Result is one check's verdict, what it saw, and what to do about it.
type Result struct {
	ID       string // stable identifier, e.g. "repo.fs"; the wizard keys on it
	Title    string // one line for a list
	Status   Status
	Evidence string // what was found: paths, uids, mount options, server answers
	Fix      string // what to do, in words, naming paths/hosts/uids ("" when Status is OK)
}

func (r Result) String() string {
	s := fmt.Sprintf("[%s] %s: %s", r.Status, r.Title, r.Evidence)
	if r.Fix != "" {
		s += " — fix: " + r.Fix
	}
	return s
}

// Worst returns the most severe status in rs (OK for none).
func Worst(rs []Result) Status {
	w := OK
	for _, r := range rs {
		switch {
		case r.Status == Fail:
			return Fail
		case r.Status == Warn:
			w = Warn
		}
	}
	return w
}

// errTimeout is returned by withTimeout when the filesystem did not answer.
var errTimeout = errors.New("no answer")

// withTimeout runs f in its own goroutine and gives up after d (or when ctx ends). A `hard` NFS mount whose
// server is gone blocks stat, statfs and open forever, in uninterruptible sleep, and no context reaches into
// the kernel: the only way to keep the wizard alive is to stop waiting. The goroutine is then left blocked;
// that leak is the price, and it ends if the server comes back.
func withTimeout(ctx context.Context, d time.Duration, f func() error) error {
	if d <= 0 {
		d = defaultFSTimeout
	}
	done := make(chan error, 1)
	go func() { done <- f() }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return fmt.Errorf("%w within %s (a hard NFS mount whose server is unreachable blocks forever)", errTimeout, d)
	case <-ctx.Done():
		return ctx.Err()
	}
}

const defaultFSTimeout = 10 * time.Second

// humanBytes formats n as "2.1 GB" (decimal units, as df -H prints them). Ten lines do not justify a
// dependency (go-humanize) for this package.
func humanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}
