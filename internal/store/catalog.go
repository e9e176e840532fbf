package store

import "context"

// StreamPage selects one page of ListStreams: names that start with Prefix,
// strictly after After, in name order, at most Limit of them.
type StreamPage struct {
	Prefix string
	After  string
	Limit  int
}

// Catalog is the versioned metadata store for streams (and, later, signaling
// channels and configurations). Every backend passes storetest.RunCatalog.
type Catalog interface {
	// CreateStream stores a new stream. It returns ErrAlreadyExists when a
	// stream of that name is stored, whatever its status.
	CreateStream(ctx context.Context, s Stream) error
	// GetStream returns the stream with the given name, or ErrNotFound.
	GetStream(ctx context.Context, name string) (Stream, error)
	// ListStreams returns up to page.Limit+1 streams in name order, so that
	// the caller can tell whether another page follows. Their Tags are nil:
	// listing never needs them, and copying 10,000 maps would dominate it.
	ListStreams(ctx context.Context, page StreamPage) ([]Stream, error)
	// CountStreams returns the number of stored streams.
	CountStreams(ctx context.Context) (int, error)
	// UpdateStream replaces the stored stream whose Revision equals
	// s.Revision and stores it with Revision+1. It returns ErrNotFound or
	// ErrConflict.
	UpdateStream(ctx context.Context, s Stream) (Stream, error)
	// DeleteStream removes the stream with the given name and revision.
	DeleteStream(ctx context.Context, name string, revision int64) error
	// Close releases the backend.
	Close() error
}
