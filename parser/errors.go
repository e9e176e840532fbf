package parser

import (
	"errors"
	"fmt"
	"strconv"
)

// Sentinel errors. Functions wrap them with the chunk or request involved;
// match them with errors.Is.
var (
	// ErrTruncated reports a GetMedia chunk that the input cut off before
	// its end: inside an element, or before the Tags holding
	// AWS_KINESISVIDEO_CONTINUATION_TOKEN. The complete chunks before it
	// were reported in full. When the input ended inside an element the
	// error also matches io.ErrUnexpectedEOF.
	ErrTruncated = errors.New("parser: chunk truncated")

	// ErrInvalidMetadata reports an AWS_KINESISVIDEO_* tag whose value does
	// not have the documented format, e.g. a SERVER_TIMESTAMP that is not
	// decimal seconds.
	ErrInvalidMetadata = errors.New("parser: invalid chunk metadata")

	// ErrStreamError is matched by every *StreamError: the GetMedia stream
	// carried AWS_KINESISVIDEO_ERROR_CODE / AWS_KINESISVIDEO_ERROR_ID.
	ErrStreamError = errors.New("parser: getmedia stream error")

	// ErrAPI is matched by every *APIError: GetMedia answered with an HTTP
	// error status.
	ErrAPI = errors.New("parser: getmedia request failed")

	// ErrSegmentBreak is matched by every *BreakError: the Merger cannot
	// append a chunk to the current output segment.
	ErrSegmentBreak = errors.New("parser: chunk does not fit the output segment")

	// ErrResumeMismatch reports that, after a reconnect, the GetMedia
	// stream re-sent a partly delivered chunk with different frames than
	// the first time, so the Consumer cannot keep its exactly-once promise.
	ErrResumeMismatch = errors.New("parser: resumed chunk differs from the one partly delivered")

	// ErrStop may be returned by a Handler function to end Reader.Walk,
	// Consumer.Run or Merge early; they then return nil.
	ErrStop = errors.New("parser: stop")

	// ErrInvalidConfig reports a ConsumerConfig or StartSelector that
	// cannot make a valid GetMedia request.
	ErrInvalidConfig = errors.New("parser: invalid configuration")

	// ErrInvalidNAL reports H.264/H.265 data that is not a valid
	// length-prefixed (AVCC) or Annex B NAL unit sequence, or a codec
	// private record that cannot be decoded.
	ErrInvalidNAL = errors.New("parser: invalid nal unit data")
)

// GetMedia error IDs carried by AWS_KINESISVIDEO_ERROR_ID, from the GetMedia
// API reference
// (https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/API_dataplane_GetMedia.html).
const (
	// ErrorIDWriteFailed is "error writing to the stream" (3002).
	ErrorIDWriteFailed = 3002
	// ErrorIDFragmentNotFound is "requested fragment is not found" (4000).
	ErrorIDFragmentNotFound = 4000
	// ErrorIDKMSAccessDenied is "access denied to the stream's KMS key" (4500).
	ErrorIDKMSAccessDenied = 4500
	// ErrorIDKMSKeyDisabled is "the stream's KMS key is disabled" (4501).
	ErrorIDKMSKeyDisabled = 4501
	// ErrorIDKMSValidation is "validation error on the stream's KMS key" (4502).
	ErrorIDKMSValidation = 4502
	// ErrorIDKMSUnavailable is "the stream's KMS key is unavailable" (4503).
	ErrorIDKMSUnavailable = 4503
	// ErrorIDKMSInvalidUsage is "invalid usage of the stream's KMS key" (4504).
	ErrorIDKMSInvalidUsage = 4504
	// ErrorIDKMSInvalidState is "invalid state of the stream's KMS key" (4505).
	ErrorIDKMSInvalidState = 4505
	// ErrorIDKMSNotFound is "the stream's KMS key is not found" (4506).
	ErrorIDKMSNotFound = 4506
	// ErrorIDInternal is "internal error" (5000).
	ErrorIDInternal = 5000
)

// StreamError is the error a GetMedia stream reports in band with the
// AWS_KINESISVIDEO_ERROR_CODE and AWS_KINESISVIDEO_ERROR_ID tags, after
// which the service stops sending. It matches ErrStreamError.
type StreamError struct {
	// Code is the AWS_KINESISVIDEO_ERROR_CODE value, a description.
	Code string
	// ID is the AWS_KINESISVIDEO_ERROR_ID value (see ErrorIDFragmentNotFound
	// and friends), or 0 if absent or not a number.
	ID int
	// FragmentNumber is the fragment number of the chunk the tags appeared
	// in, if known.
	FragmentNumber string
}

// Error describes the stream error.
func (e *StreamError) Error() string {
	s := "parser: getmedia stream error"
	if e.ID != 0 {
		s += " " + strconv.Itoa(e.ID)
	}
	if e.Code != "" {
		s += " (" + e.Code + ")"
	}
	if e.FragmentNumber != "" {
		s += " in fragment " + e.FragmentNumber
	}
	return s
}

// Unwrap returns ErrStreamError.
func (e *StreamError) Unwrap() error { return ErrStreamError }

// APIError is a GetMedia request that the service answered with an HTTP
// error (AWS REST-JSON error: x-amzn-ErrorType header and a JSON message).
// It matches ErrAPI.
type APIError struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Type is the error type without namespace, e.g.
	// "ResourceNotFoundException".
	Type string
	// Message is the message member of the JSON body.
	Message string
	// RequestID is the x-amzn-RequestId header.
	RequestID string
}

// Error describes the API error.
func (e *APIError) Error() string {
	s := fmt.Sprintf("parser: getmedia: http %d", e.StatusCode)
	if e.Type != "" {
		s += " " + e.Type
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Unwrap returns ErrAPI.
func (e *APIError) Unwrap() error { return ErrAPI }

// Retryable reports whether the request may succeed when sent again: server
// errors, throttling (HTTP 429, ClientLimitExceededException) and
// ConnectionLimitExceededException.
func (e *APIError) Retryable() bool {
	switch e.Type {
	case "ClientLimitExceededException", "ConnectionLimitExceededException":
		return true
	}
	return e.StatusCode >= 500 || e.StatusCode == 429
}

// BreakReason says why a chunk cannot be appended to the current output
// segment of a Merger.
type BreakReason uint8

// Reasons for a segment break.
const (
	// BreakTracksChanged: the chunk's Tracks (codec ID, codec private data,
	// track numbers or types, picture size, audio settings) or its
	// TimestampScale differ from the segment's.
	BreakTracksChanged BreakReason = iota + 1
	// BreakTimestampRegression: the chunk's Cluster Timestamp is not
	// greater than the previous Cluster's, as when a producer with relative
	// timecodes uploads again from 0.
	BreakTimestampRegression
)

// String names the reason.
func (r BreakReason) String() string {
	switch r {
	case BreakTracksChanged:
		return "tracks changed"
	case BreakTimestampRegression:
		return "cluster timestamp did not increase"
	}
	return "BreakReason(" + strconv.Itoa(int(r)) + ")"
}

// BreakError describes a chunk that the Merger cannot append to the current
// output segment. It is passed to MergeOptions.NextWriter, and returned
// when that is nil. It matches ErrSegmentBreak.
type BreakError struct {
	// Reason says why.
	Reason BreakReason
	// Chunk is the chunk that starts the new segment.
	Chunk *Chunk
	// Segment is the number of output segments written so far.
	Segment int
}

// Error describes the break.
func (e *BreakError) Error() string {
	s := "parser: merge: " + e.Reason.String()
	if e.Chunk != nil {
		s += " at chunk " + strconv.Itoa(e.Chunk.Index)
		if e.Chunk.FragmentNumber != "" {
			s += " (fragment " + e.Chunk.FragmentNumber + ")"
		}
	}
	return s
}

// Unwrap returns ErrSegmentBreak.
func (e *BreakError) Unwrap() error { return ErrSegmentBreak }
