package store

import "errors"

// Sentinels returned by every backend. Callers match them with errors.Is.
var (
	// ErrNotFound means the named resource does not exist (or is no longer
	// visible because it is being deleted).
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists means a resource with the same unique name exists.
	ErrAlreadyExists = errors.New("already exists")
	// ErrConflict means an optimistic write lost a race: the stored revision
	// is not the one the caller read.
	ErrConflict = errors.New("concurrent modification")
	// ErrNoSpace means the storage is full (or at its configured cap) and
	// nothing more can be made durable.
	ErrNoSpace = errors.New("no space left for media")
	// ErrCorrupt means stored bytes fail their checksum.
	ErrCorrupt = errors.New("stored data is corrupt")
)
