package producer

import (
	"errors"
	"fmt"
)

// Sentinel errors. Functions wrap them with details; match them with
// errors.Is.
var (
	// ErrInvalidDefinition reports a StreamDefinition or Config that
	// cannot describe a valid stream (e.g. four tracks, a duplicate track
	// ID, a fragment duration above the service maximum).
	ErrInvalidDefinition = errors.New("producer: invalid stream definition")

	// ErrInvalidFrame reports a frame that cannot be sent: an unknown
	// track, empty data, malformed Annex B or AVCC data, or a key frame
	// that starts a fragment with PTS != DTS (STATUS_MKV_PTS_DTS_ARE_NOT_SAME).
	ErrInvalidFrame = errors.New("producer: invalid frame")

	// ErrTimestampOrder reports a frame whose timestamp would make the
	// fragments overlap: its decoding time is before the previous frame of
	// its track, or its presentation time (in milliseconds) is not after
	// the last frame of its track in the previous fragment. KVS rejects
	// such fragments with ErrorId 4004, so the library refuses the frame
	// instead.
	ErrTimestampOrder = errors.New("producer: frame timestamp out of order")

	// ErrFragmentTooLong reports a fragment that would span more than
	// StreamDefinition.MaxFragmentDuration (at most 20 s, the KVS maximum):
	// no key frame arrived in time to start a new one. Fix the encoder: use
	// a shorter GOP (key-frame interval), e.g. one key frame every 2 s, or
	// set StreamDefinition.ForceFragment to cut fragments at non-key
	// frames. The frame is refused; frames are accepted again from the next
	// key frame on.
	ErrFragmentTooLong = errors.New("producer: fragment too long: no key frame within the maximum fragment duration (20 s at most); use a shorter GOP / key-frame interval, or StreamDefinition.ForceFragment")

	// ErrInvalidCodecData reports codec private data or parameter sets
	// (SPS, PPS, VPS) that cannot be parsed.
	ErrInvalidCodecData = errors.New("producer: invalid codec private data")

	// ErrInvalidMetadata reports fragment metadata that breaks the KVS
	// limits: a name that is empty, longer than 128 octets or starts with
	// "AWS", a value longer than 256 octets, or more than 10 items for one
	// fragment.
	ErrInvalidMetadata = errors.New("producer: invalid fragment metadata")

	// ErrStorageFull reports a frame refused because the content store
	// has no room, even after the buffered fragments that may be dropped
	// were dropped (STATUS_STORE_OUT_OF_MEMORY).
	ErrStorageFull = errors.New("producer: content store full")

	// ErrClosed is returned by PutFrame and PutFragmentMetadata after
	// Close was called.
	ErrClosed = errors.New("producer: stream closed")

	// ErrStreamFailed is matched by the error a stream reports after a
	// non-recoverable failure (e.g. the stream was deleted, ErrorId 4008);
	// PutFrame and Close return it.
	ErrStreamFailed = errors.New("producer: stream failed")

	// ErrNotFlushed is returned by Close when its context ended before
	// every buffered fragment was acknowledged.
	ErrNotFlushed = errors.New("producer: buffered fragments not acknowledged before close")
)

// AckError is an ERROR acknowledgement of PutMedia
// (https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/API_dataplane_PutMedia.html).
// It matches ErrStreamFailed when the library stopped the stream for it.
type AckError struct {
	// ErrorID is the numeric ErrorId, e.g. 4002.
	ErrorID int
	// ErrorCode is the ErrorCode name, e.g. "MAX_FRAGMENT_DURATION_REACHED",
	// when the service sent one.
	ErrorCode string
	// FragmentTimecode is the cluster timecode (ms) of the fragment.
	FragmentTimecode int64
	// FragmentNumber is the service's fragment number, if any.
	FragmentNumber string
	// Reaction is what the library did about it.
	Reaction Reaction
}

// Error describes the ack.
func (e *AckError) Error() string {
	name := e.ErrorCode
	if name == "" {
		name = ackErrorName(e.ErrorID)
	}
	return fmt.Sprintf("putmedia error ack %d %s for fragment %d: %s", e.ErrorID, name, e.FragmentTimecode, e.Reaction)
}

// Is makes a fatal AckError match ErrStreamFailed.
func (e *AckError) Is(target error) bool {
	return target == ErrStreamFailed && e.Reaction == ReactionStop
}

// Reaction is what the library does about an ERROR ack, chosen per ErrorId
// after the producer SDK's recoverable set (see ReactionFor).
type Reaction uint8

// Reactions to ERROR acks.
const (
	// ReactionResend reconnects (with backoff) and sends again from the
	// oldest unacknowledged fragment, the errored one included: transient
	// service or transport errors.
	ReactionResend Reaction = iota + 1
	// ReactionDropFragment drops the errored fragment, reports it, and
	// continues with the next one: errors that sending the same bytes again
	// would only repeat.
	ReactionDropFragment
	// ReactionStop stops the stream: PutFrame and Close return the error.
	ReactionStop
)

func (r Reaction) String() string {
	switch r {
	case ReactionResend:
		return "reconnecting to resend"
	case ReactionDropFragment:
		return "fragment dropped"
	case ReactionStop:
		return "stream stopped"
	}
	return "unknown reaction"
}

// ReactionFor returns the library's reaction to an ERROR ack's ErrorId:
//
//   - 4000 STREAM_READ_ERROR, 4003 MAX_CONNECTION_DURATION_REACHED, 4004
//     (never caused by the library's own timestamps, so a sign of a
//     corrupted connection), 4006 INVALID_MKV_DATA (a body cut in transit),
//     5000 INTERNAL_ERROR, 5001 ARCHIVAL_ERROR and unknown IDs: ReactionResend.
//   - 4001 MAX_FRAGMENT_SIZE_REACHED, 4002 MAX_FRAGMENT_DURATION_REACHED,
//     4009 FRAGMENT_METADATA_LIMIT_REACHED, 4010 TRACK_NUMBER_MISMATCH, 4011
//     FRAMES_MISSING_FOR_TRACK, 4012 INVALID_FRAGMENT_METADATA: the fragment
//     itself is bad; ReactionDropFragment.
//   - 4005 MORE_THAN_ALLOWED_TRACKS_FOUND, 4007 INVALID_PRODUCER_TIMESTAMP
//     (fix the clock), 4008 STREAM_NOT_ACTIVE (the stream was deleted), 4500
//     to 4507 (KMS key, stream deleted): no later fragment can succeed;
//     ReactionStop.
func ReactionFor(errorID int) Reaction {
	switch {
	case errorID == 4001, errorID == 4002, errorID >= 4009 && errorID <= 4012:
		return ReactionDropFragment
	case errorID == 4005, errorID == 4007, errorID == 4008, errorID >= 4500 && errorID <= 4507:
		return ReactionStop
	}
	return ReactionResend
}

// ackErrorName names the documented ErrorIds.
func ackErrorName(id int) string {
	switch id {
	case 4000:
		return "STREAM_READ_ERROR"
	case 4001:
		return "MAX_FRAGMENT_SIZE_REACHED"
	case 4002:
		return "MAX_FRAGMENT_DURATION_REACHED"
	case 4003:
		return "MAX_CONNECTION_DURATION_REACHED"
	case 4004:
		return "FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS"
	case 4005:
		return "MORE_THAN_ALLOWED_TRACKS_FOUND"
	case 4006:
		return "INVALID_MKV_DATA"
	case 4007:
		return "INVALID_PRODUCER_TIMESTAMP"
	case 4008:
		return "STREAM_NOT_ACTIVE"
	case 4009:
		return "FRAGMENT_METADATA_LIMIT_REACHED"
	case 4010:
		return "TRACK_NUMBER_MISMATCH"
	case 4011:
		return "FRAMES_MISSING_FOR_TRACK"
	case 4012:
		return "INVALID_FRAGMENT_METADATA"
	case 5000:
		return "INTERNAL_ERROR"
	case 5001:
		return "ARCHIVAL_ERROR"
	}
	if id >= 4500 && id <= 4506 {
		return "KMS_KEY_ERROR"
	}
	return "UNKNOWN_ERROR"
}
