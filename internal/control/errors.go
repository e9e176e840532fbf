package control

import "errors"

// Kinds of control-plane failure, one per KVS error the actions document.
var (
	// ErrInvalidArgument: a parameter fails its length, pattern or range.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrInvalidResourceFormat: a StreamARN is malformed (tag actions).
	ErrInvalidResourceFormat = errors.New("invalid resource format")
	// ErrNotFound: the stream does not exist or is no longer visible.
	ErrNotFound = errors.New("resource not found")
	// ErrInUse: the name is taken, or the stream is not ACTIVE.
	ErrInUse = errors.New("resource in use")
	// ErrVersionMismatch: CurrentVersion is not the stream's version.
	ErrVersionMismatch = errors.New("version mismatch")
	// ErrTagLimit: the resource would have more than 50 tags.
	ErrTagLimit = errors.New("tags per resource exceeded")
	// ErrStreamLimit: the account has reached its stream limit.
	ErrStreamLimit = errors.New("account stream limit exceeded")
)
