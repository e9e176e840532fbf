package playback

import "errors"

// Errors of the playback APIs. internal/api maps each to the AWS error of
// the same name.
var (
	// ErrNotFound: the stream has no fragments in the selected range
	// (ResourceNotFoundException).
	ErrNotFound = errors.New("no fragments found")
	// ErrInvalidArgument: a request member is malformed or out of range.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrNoDataRetention: the stream keeps no media (retention 0).
	ErrNoDataRetention = errors.New("no data retention")
	// ErrMissingCodecPrivateData: a track has no CodecPrivate.
	ErrMissingCodecPrivateData = errors.New("missing codec private data")
	// ErrInvalidCodecPrivateData: a track's CodecPrivate cannot be parsed for
	// its codec.
	ErrInvalidCodecPrivateData = errors.New("invalid codec private data")
	// ErrUnsupportedStreamMediaType: the tracks are not a combination the
	// API packages (data-plane-api.md §1).
	ErrUnsupportedStreamMediaType = errors.New("unsupported stream media type")
	// ErrInvalidMediaFrame: a stored frame cannot be parsed.
	ErrInvalidMediaFrame = errors.New("invalid media frame")
	// ErrNotAuthorized: a playback session token is invalid or expired.
	ErrNotAuthorized = errors.New("not authorized")
	// ErrClientLimit: a per-stream limit (sessions) is reached.
	ErrClientLimit = errors.New("client limit exceeded")
)
