package nfs

import "context"

// Pauser holds a repository copy between files: the operator paused the migration. A copy cannot wait inside
// a file without keeping it open and half written for as long as the pause lasts, so it stops handing out
// files, lets the ones in flight finish, and holds with every file it copied complete and in place.
type Pauser interface {
	// Paused tells whether the copy should hold before its next file.
	Paused() bool
	// Hold returns when the pause ends (or with ctx's error); filesDone of filesTotal are copied by then.
	Hold(ctx context.Context, filesDone, filesTotal int) error
}
