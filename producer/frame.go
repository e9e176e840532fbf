package producer

import "time"

// TrackType is a track's media type; the values are Matroska's TrackType.
type TrackType uint8

// Track types.
const (
	TrackVideo TrackType = 1
	TrackAudio TrackType = 2
)

// Codec IDs of the codecs the library knows how to describe (Matroska
// CodecID values). Other IDs are passed through with the given
// CodecPrivate.
const (
	CodecH264 = "V_MPEG4/ISO/AVC"
	CodecH265 = "V_MPEGH/ISO/HEVC"
	CodecAAC  = "A_AAC"
	CodecOpus = "A_OPUS"
	// CodecMSACM carries G.711 A-law and μ-law, as the KVS SDKs write them:
	// the format is in the WAVEFORMATEX CodecPrivate.
	CodecMSACM = "A_MS/ACM"
)

// Track describes one track of a stream. A stream has one to three tracks.
type Track struct {
	// ID is the Matroska track number: unique within the stream and > 0.
	ID uint64
	// Name is the track's name, e.g. "kvs_video_track".
	Name string
	// CodecID is the Matroska CodecID, e.g. CodecH264.
	CodecID string
	Type    TrackType
	// CodecPrivate is the codec configuration: for H.264 and H.265 the
	// AVCDecoderConfigurationRecord / HEVCDecoderConfigurationRecord (or
	// Annex B parameter sets, which are converted), for AAC the
	// AudioSpecificConfig. When nil for H.264 or H.265 it is extracted from
	// the parameter sets of the first key frame.
	CodecPrivate []byte
	// Width and Height of video, in pixels; 0 means parsed from the SPS.
	Width, Height int
	// SampleRate (Hz), Channels and BitDepth of audio.
	SampleRate float64
	Channels   int
	BitDepth   int
}

// FrameFlags mark properties of a frame.
type FrameFlags uint8

// Frame flags.
const (
	// FrameKey marks a key frame (an IDR for H.264): a fragment may start
	// here.
	FrameKey FrameFlags = 1 << iota
	// FrameDiscardable marks a frame that no other frame references.
	FrameDiscardable
)

// Frame is one encoded frame (an access unit for video, one audio frame).
type Frame struct {
	// TrackID is the Track.ID the frame belongs to.
	TrackID uint64
	Flags   FrameFlags
	// DTS and PTS are the decoding and presentation times on the stream's
	// clock: durations since StreamDefinition.Origin. They are ignored when
	// the stream has FrameTimecodes off, and the frame is stamped with the
	// wall clock when it is put instead.
	DTS, PTS time.Duration
	// Duration of the frame; 0 means derived from the frame rate.
	Duration time.Duration
	// Data is the payload. H.264/H.265 may be Annex B or AVCC (4-octet
	// lengths); see StreamDefinition.NALAdaptation. The library copies it,
	// so the caller may reuse the slice after PutFrame returns.
	Data []byte
}

// Key reports whether f is a key frame.
func (f *Frame) Key() bool { return f.Flags&FrameKey != 0 }
