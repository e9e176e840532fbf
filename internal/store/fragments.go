package store

import (
	"context"
	"time"
)

// Fragment is the index entry of one stored media fragment: one Matroska
// Cluster as the producer sent it, plus the producer's tags that followed it.
type Fragment struct {
	// Stream is the ARN of the stream incarnation the fragment belongs to.
	// ARNs end in the creation time, so a re-created stream of the same name
	// never sees an older incarnation's fragments.
	Stream string
	// Number comes from ReserveNumber. Numbers increase in reservation
	// order across all streams and are never reused; within a stream they
	// increase in arrival order. The api layer formats them as KVS
	// fragment number strings.
	Number            uint64
	ProducerTimestamp time.Time
	ServerTimestamp   time.Time
	Duration          time.Duration
	// Size is len(Media) of the appended fragment.
	Size int64
	// Checksum is the CRC-32C (Castagnoli) of the media bytes. It guards
	// the record on disk and lets ingest recognise a re-sent fragment.
	Checksum uint32
	// HeaderID names the producer header (EBML header, Segment Info,
	// Tracks) the fragment was sent under; see Fragments.ReadHeader.
	HeaderID uint64
	// Location is where the backend that listed the fragment keeps its
	// media, for that backend's ReadMedia: a catch-up reader reads
	// thousands of listed fragments, and a second index lookup for each
	// was a third of its read time. Callers pass it back unchanged.
	Location Location
}

// Location is a backend's own address of a fragment's media; the zero
// value (Known false) means the backend has to look it up.
type Location struct {
	Segment, Offset int64
	Known           bool
}

// NewFragment is what ingest appends.
type NewFragment struct {
	Stream string
	// Number is a number from ReserveNumber, greater than the number of
	// every fragment of the stream appended before; 0 lets Append reserve
	// one. Ingest reserves it when the fragment starts, because the
	// BUFFERING ack already carries it.
	Number            uint64
	ProducerTimestamp time.Time
	ServerTimestamp   time.Time
	Duration          time.Duration
	// Header is the producer's header bytes, stored once per distinct value
	// per stream and shared by the fragments that follow it.
	Header []byte
	// Media is the fragment's bytes, kept verbatim.
	Media []byte
}

// TimestampKind selects which timestamp a FragmentQuery ranges over.
type TimestampKind int

// Timestamp kinds of ListFragments and GetMedia selectors.
const (
	ByServerTimestamp TimestampKind = iota
	ByProducerTimestamp
)

// FragmentQuery selects fragments of one stream, returned in Number order.
type FragmentQuery struct {
	Stream string
	// By, Start and End filter on a timestamp, both ends inclusive; a zero
	// Start or End leaves that end open.
	By         TimestampKind
	Start, End time.Time
	// AfterNumber returns only fragments with Number > AfterNumber; it is
	// how callers page and resume.
	AfterNumber uint64
	// Limit caps the result; 0 means no limit.
	Limit int
}

// Fragments stores media fragments durably and indexes them. Every backend
// passes storetest.RunFragments.
type Fragments interface {
	// ReserveNumber returns a fragment number greater than every number it
	// returned before, across restarts. Numbers that are reserved but never
	// appended are simply skipped.
	ReserveNumber(ctx context.Context) (uint64, error)
	// Append stores f and returns its index entry at once; f's bytes may be
	// reused by the caller after Append returns. The returned channel
	// receives exactly one value when the fragment, its header and its index
	// entry are durable (nil), or cannot be made durable (an error, e.g.
	// ErrNoSpace). A fragment is visible to List and Get once Append
	// returns, before it is durable. Many fragments share one sync (group
	// commit).
	Append(ctx context.Context, f NewFragment) (Fragment, <-chan error, error)
	// Get returns the fragment with the given number, or ErrNotFound.
	Get(ctx context.Context, stream string, number uint64) (Fragment, error)
	// List returns the fragments q selects, in Number order.
	List(ctx context.Context, q FragmentQuery) ([]Fragment, error)
	// ReadMedia appends the fragment's media bytes to dst and returns the
	// result. It verifies the checksum and returns ErrCorrupt on mismatch,
	// and ErrNotFound once the fragment was deleted.
	ReadMedia(ctx context.Context, f Fragment, dst []byte) ([]byte, error)
	// ReadHeader returns the header bytes with the given ID.
	ReadHeader(ctx context.Context, stream string, headerID uint64) ([]byte, error)
	// DeleteBefore deletes the stream's fragments whose server timestamp is
	// before t (retention) and returns how many it deleted. Space comes back
	// when every fragment of a segment file is gone.
	DeleteBefore(ctx context.Context, stream string, t time.Time) (int, error)
	// DeleteStream deletes every fragment and header of the stream.
	DeleteStream(ctx context.Context, stream string) error
	// Usage returns the bytes the backend holds on its storage.
	Usage(ctx context.Context) (int64, error)
	// Close flushes and syncs pending appends and releases the backend.
	Close() error
}
