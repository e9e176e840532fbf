package ingest

// EventType is the kind of a PutMedia acknowledgement.
type EventType string

// Acknowledgement event types.
const (
	EventBuffering EventType = "BUFFERING"
	EventReceived  EventType = "RECEIVED"
	EventPersisted EventType = "PERSISTED"
	EventError     EventType = "ERROR"
	EventIdle      EventType = "IDLE"
)

// Ack is one acknowledgement of the PutMedia response stream.
type Ack struct {
	Event EventType
	// Timecode is the fragment's Cluster timecode in milliseconds, which
	// the producer uses to map the ack to its fragment. HasTimecode is
	// false for IDLE acks.
	Timecode    int64
	HasTimecode bool
	// Number is the store's fragment number, 0 when none was assigned.
	Number uint64
	// Error is set for EventError.
	Error ErrorCode
}

// AckWriter delivers acks to the producer. Serve calls it from one
// goroutine at a time.
type AckWriter interface {
	WriteAck(Ack) error
}

// ErrorCode is a PutMedia ERROR ack's ErrorId with its ErrorCode name.
type ErrorCode struct {
	ID   int
	Name string
}

// The ERROR ack codes of the PutMedia reference (shared/spec/data-plane-api.md §3).
var (
	ErrStreamRead              = ErrorCode{4000, "STREAM_READ_ERROR"}
	ErrMaxFragmentSize         = ErrorCode{4001, "MAX_FRAGMENT_SIZE_REACHED"}
	ErrMaxFragmentDuration     = ErrorCode{4002, "MAX_FRAGMENT_DURATION_REACHED"}
	ErrMaxConnectionDuration   = ErrorCode{4003, "MAX_CONNECTION_DURATION_REACHED"}
	ErrTimecodeNotMonotonic    = ErrorCode{4004, "FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS"}
	ErrTooManyTracks           = ErrorCode{4005, "MORE_THAN_ALLOWED_TRACKS_FOUND"}
	ErrInvalidMKV              = ErrorCode{4006, "INVALID_MKV_DATA"}
	ErrInvalidProducerTime     = ErrorCode{4007, "INVALID_PRODUCER_TIMESTAMP"}
	ErrStreamNotActive         = ErrorCode{4008, "STREAM_NOT_ACTIVE"}
	ErrMetadataLimit           = ErrorCode{4009, "FRAGMENT_METADATA_LIMIT_REACHED"}
	ErrTrackNumberMismatch     = ErrorCode{4010, "TRACK_NUMBER_MISMATCH"}
	ErrFramesMissingForTrack   = ErrorCode{4011, "FRAMES_MISSING_FOR_TRACK"}
	ErrInvalidFragmentMetadata = ErrorCode{4012, "INVALID_FRAGMENT_METADATA"}
	ErrInternal                = ErrorCode{5000, "INTERNAL_ERROR"}
	ErrArchival                = ErrorCode{5001, "ARCHIVAL_ERROR"}
)
