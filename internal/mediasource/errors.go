package mediasource

import "errors"

// Sentinel errors a caller can tell apart with errors.Is. A missing file is
// reported with an error that wraps fs.ErrNotExist.
var (
	// ErrUnsupported means the container or codec is not one Open reads:
	// the message names what was found and what is supported.
	ErrUnsupported = errors.New("unsupported media")
	// ErrNoVideo means the source has no H.264 or H.265 video track.
	ErrNoVideo = errors.New("no H.264 or H.265 video track")
	// ErrNoKeyFrame means the video contains no key frame (H.264 IDR or
	// H.265 IRAP picture), so nothing of it could be decoded.
	ErrNoKeyFrame = errors.New("no key frame in the video")
	// ErrUnreachable means an RTSP camera could not be connected to or
	// refused to describe or play its stream.
	ErrUnreachable = errors.New("camera unreachable")
	// ErrMalformed means the input is not well-formed for its container or
	// codec (truncated, corrupt, or a length that points outside the file).
	ErrMalformed = errors.New("malformed media")
)
