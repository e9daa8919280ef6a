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
	"strings"
	"time"

	"github.com/esmigrate/esmigrate/i18n"
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
	// The same as messages (package i18n); Title, Evidence and Fix are their English (the setters keep both).
	TitleMsg, EvidenceMsg, FixMsg i18n.Msg
}

// result is a check's verdict with its title, evidence and fix as messages (zero ones say nothing).
func result(id string, st Status, title, evidence, fix i18n.Msg) Result {
	r := Result{ID: id, Status: st}
	r.setTitle(title)
	r.setEvidence(evidence)
	r.setFix(fix)
	return r
}

// newResult is the result of check id, titled with the catalogue's title of its id (check.nfs.<id>).
func newResult(id string) Result {
	r := Result{ID: id}
	r.setTitle(i18n.M("check.nfs." + id))
	return r
}

// say sets the verdict, what was found and what to do (a zero message says nothing).
func (r *Result) say(st Status, evidence, fix i18n.Msg) {
	r.Status = st
	r.setEvidence(evidence)
	r.setFix(fix)
}

func (r *Result) setTitle(m i18n.Msg)    { r.TitleMsg, r.Title = m, m.String() }
func (r *Result) setEvidence(m i18n.Msg) { r.EvidenceMsg, r.Evidence = m, m.String() }
func (r *Result) setFix(m i18n.Msg)      { r.FixMsg, r.Fix = m, m.String() }

// TitleText, EvidenceText and FixText are what the result says as messages: its own, or the English as it is
// where it has none.
func (r Result) TitleText() i18n.Msg    { return orText(r.TitleMsg, r.Title) }
func (r Result) EvidenceText() i18n.Msg { return orText(r.EvidenceMsg, r.Evidence) }
func (r Result) FixText() i18n.Msg      { return orText(r.FixMsg, r.Fix) }

func orText(m i18n.Msg, s string) i18n.Msg {
	if !m.IsZero() {
		return m
	}
	return i18n.Text(s)
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
var errTimeout = i18n.Errorf("nfs.noanswer")

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
		return i18n.Errorf("nfs.timeout", errTimeout, d.String())
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

// PathCheck says what to check about a repository path on the host running esmigrate.
type PathCheck struct {
	Path         string
	ESUID, ESGID int   // the uid/gid Elasticsearch runs as; -1 = unknown: look up the local "elasticsearch" user
	BytesNeeded  int64 // what the batch will write there (0 = unknown)
	ClusterNodes int   // nodes of the cluster that will use the repository (0 = unknown)
	// "" = the real /proc/self/mountinfo and /etc/fstab; tests pass fixtures. With a fixture mount table the
	// statfs confirmation of the filesystem type is skipped (the fixture does not describe this machine).
	MountinfoFile, FstabFile string
	Timeout                  time.Duration // per filesystem operation (stat, statfs, write test); 0 = 10s
}

// ErrCopyLocked is the cause of a copy refused because another copy into the same target runs (esmigrate copy on
// the NFS server, say): the migration waits for it rather than failing.
var ErrCopyLocked = errors.New("the target is locked by another copy")

// CopyOptions tunes CopyRepository.
type CopyOptions struct {
	Workers            int   // files copied at once; 0 = 4
	BytesPerSecond     int64 // bandwidth limit for all workers together; 0 = none
	AllowForeignTarget bool  // copy even into a directory that holds another repository (its files may be replaced)
	// Prune deletes, after index.latest is in place, the target's files that the source no longer has: old
	// root index-N and shard generation files, and blobs of snapshots deleted on the source. Off by default:
	// they are harmless, only take space, and a wrong source path would make pruning destructive.
	Prune bool
	// Progress is called from one goroutine at a time: at most every ProgressInterval, after each phase, and
	// once at the end. It must not block for long: the copy does not wait for it, but the next event does.
	Progress         func(CopyProgress)
	ProgressInterval time.Duration // 0 = 250ms
	// Pause, when set, is asked before each file is handed out: while it says paused, the copy lets the files
	// in flight finish (written, made durable, renamed into place), then holds in Pause.Hold (pause.go).
	Pause Pauser
}

// CopyProgress is one progress event. Totals count what has to be copied (files already present are skipped
// and not counted).
type CopyProgress struct {
	FilesDone, FilesTotal int
	BytesDone, BytesTotal int64
	BytesPerSecond        float64       // over the last few seconds
	ETA                   time.Duration // 0 when unknown
	CurrentFile           string        // relative path of a file being copied
}

// CopyResult says what CopyRepository did.
type CopyResult struct {
	FilesCopied, FilesSkipped int
	BytesCopied, BytesSkipped int64
	StaleTempsRemoved         int   // temporary files of an interrupted earlier copy, removed
	FilesPruned               int   // target files the source no longer has, deleted (CopyOptions.Prune)
	Generation                int64 // the repository generation (index.latest) the target now has
	SourceChanged             bool  // the source got a newer generation during the copy: copy again for it
	Duration                  time.Duration
}

// under says whether p is dir or inside it, comparing whole path elements (/mnt/es is not under /mnt/e).
func under(p, dir string) bool {
	if dir == "" {
		return false // a damaged mount table line: no mount point
	}
	if dir == "/" || p == dir {
		return true
	}
	return strings.HasPrefix(p, dir+"/")
}

// unescapeOctal decodes \NNN escapes as fstab and exports use them.
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) && isOctal(s[i+1:i+4]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
