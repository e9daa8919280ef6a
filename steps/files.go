package steps

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/esmigrate/esmigrate/i18n"
)

// The files esmigrate writes: the state file, its .prev and its lock, the reports, saved plans and setup scripts.
// esmigrate runs as root, sometimes in shared directories (/tmp, a share): a symbolic link planted where one of
// these files goes must never make it write another file. So every one is created without following a link
// (O_CREATE|O_EXCL for new files, O_NOFOLLOW where an existing file is opened again), with mode 0600, and the
// directories are checked before the first request is sent.
//
// Hand-written on purpose: os.Root (the standard library's openat-style API) still follows a link that stays
// inside its root, and renameio / natefinch/atomic follow a link at the destination's .prev or lock; what is
// needed here is a few flags on open(2), which the standard library exposes.

// filePerm is the mode of every file esmigrate writes: state and reports name clusters, indices and paths.
const filePerm = 0o600

// OutputError is a place esmigrate cannot or must not write to (a link, a directory that is a file, a
// directory it cannot write). It is bad input: the run stops before any request.
type OutputError struct {
	What i18n.Msg // "state file", "report directory"...
	Path string
	Why  i18n.Msg
	Fix  i18n.Msg
}

func (e *OutputError) Error() string { return e.Localize().String() }

// Localize is the error as a message.
func (e *OutputError) Localize() i18n.Msg { return i18n.M("file.error", e.What, e.Path, e.Why, e.Fix) }

// refuseLink says why esmigrate must not write at path: it is a symbolic link, or something other than a
// regular file. A path that does not exist is fine.
func refuseLink(what i18n.Msg, path string) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return &OutputError{What: what, Path: path, Why: i18n.M("file.unlookable", err), Fix: i18n.M("file.unlookable.fix")}
	case fi.Mode()&os.ModeSymlink != 0:
		to, _ := os.Readlink(path)
		return &OutputError{What: what, Path: path, Why: i18n.M("file.link", to), Fix: i18n.M("file.link.fix")}
	case !fi.Mode().IsRegular():
		return &OutputError{What: what, Path: path, Why: i18n.M("file.notregular", fi.Mode().Type().String()), Fix: i18n.M("file.remove.fix")}
	}
	return nil
}

// checkDir makes sure dir is a directory esmigrate can create files in, creating it (0700) when it is missing.
// A link to a directory is fine (/data → /mnt/data): the files in it are still created without following links.
func checkDir(what i18n.Msg, dir string) error {
	if dir == "" {
		dir = "."
	}
	fi, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return &OutputError{What: what, Path: dir, Why: i18n.M("file.nomkdir", err), Fix: i18n.M("file.nomkdir.fix")}
		}
		fi, err = os.Stat(dir)
	}
	if err != nil {
		return &OutputError{What: what, Path: dir, Why: i18n.M("file.unlookable", err), Fix: i18n.M("file.otherdir.fix")}
	}
	if !fi.IsDir() {
		why := i18n.M("file.notdir")
		if l, e := os.Lstat(dir); e == nil && l.Mode()&os.ModeSymlink != 0 {
			to, _ := os.Readlink(dir)
			why = i18n.M("file.linknotdir", to)
		}
		return &OutputError{What: what, Path: dir, Why: why, Fix: i18n.M("file.dir.fix")}
	}
	f, err := os.CreateTemp(dir, ".esmigrate-write-test-*")
	if err != nil {
		return &OutputError{What: what, Path: dir, Why: i18n.M("file.unwritable", err), Fix: i18n.M("file.unwritable.fix")}
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return nil
}

// CheckOutputs checks, before any request, every place a run of this plan writes to: the state file's directory
// and the report directory are directories this process can write (created when missing), and the state file,
// its .prev and its lock are regular files or absent, never links.
func CheckOutputs(p Plan) error {
	if err := checkDir(i18n.M("file.what.statedir"), filepath.Dir(p.StateFile)); err != nil {
		return err
	}
	for _, f := range []struct {
		what i18n.Msg
		path string
	}{{i18n.M("file.what.state"), p.StateFile}, {i18n.M("file.what.prev"), p.StateFile + ".prev"},
		{i18n.M("file.what.lock"), p.StateFile + ".lock"}} {
		if err := refuseLink(f.what, f.path); err != nil {
			return err
		}
	}
	return checkDir(i18n.M("file.what.reportdir"), p.ReportDir)
}

// readNoFollow reads a regular file without following a link, at most limit bytes.
func readNoFollow(path string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|oNoFollow, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, i18n.Errorf("file.notregular.short", path)
	}
	return io.ReadAll(io.LimitReader(f, limit))
}

// writeAtomic replaces path with data so that a reader sees either the old or the new content, never half. The
// new content goes to a temporary file created with O_EXCL (mode 0600) and is renamed over path; a rename
// replaces a name, never follows it. keepPrev first keeps the old content in path.prev, as a new 0600 file too.
func writeAtomic(path string, data []byte, keepPrev bool) error {
	if err := refuseLink(i18n.M("file.what.file"), path); err != nil {
		return err
	}
	if keepPrev {
		if old, err := readNoFollow(path, 1<<30); err == nil {
			if err := replaceFile(path+".prev", old); err != nil {
				return err
			}
		} else if !errors.Is(err, os.ErrNotExist) {
			return i18n.Errorf("file.write.prev", path, err)
		}
	}
	return replaceFile(path, data)
}

// replaceFile writes data to a new temporary file next to path and renames it over path.
func replaceFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return i18n.Errorf("file.write", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(filePerm); err != nil {
		f.Close()
		return i18n.Errorf("file.write", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return i18n.Errorf("file.write.full", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return i18n.Errorf("file.write", path, err)
	}
	if err := f.Close(); err != nil {
		return i18n.Errorf("file.write", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return i18n.Errorf("file.write", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// SaveNew writes a new file at path, or, when a file (or a link) of that name is already there, at path-1,
// path-2... (before the extension): saving a plan or a setup script never overwrites or follows anything. The
// file is created with O_EXCL, mode 0600. content gets the name chosen, so that a file can name itself ("run
// it with bash esmigrate-nfs-setup-1.sh"). It returns the name written.
func SaveNew(path string, content func(name string) []byte) (string, error) {
	if err := checkDir(i18n.M("file.what.dir"), filepath.Dir(path)); err != nil {
		return path, err
	}
	ext := filepath.Ext(path)
	base := strings.TrimSuffix(path, ext)
	for i := 0; i < 100; i++ {
		name := path
		if i > 0 {
			name = base + "-" + strconv.Itoa(i) + ext
		}
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|oNoFollow, filePerm)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return name, err
		}
		if _, err := f.Write(content(name)); err != nil {
			f.Close()
			os.Remove(name)
			return name, err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return name, err
		}
		return name, f.Close()
	}
	return path, i18n.Errorf("file.variants", path)
}

// NextTo is where a file named name goes when it belongs with the state file: in the state file's directory
// (not the current directory, which may be anywhere the operator happened to be).
func NextTo(stateFile, name string) string {
	if stateFile == "" {
		return name
	}
	return filepath.Join(filepath.Dir(stateFile), name)
}
