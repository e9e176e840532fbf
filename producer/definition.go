package producer

import (
	"fmt"
	"regexp"
	"time"
)

// Defaults of StreamDefinition, after the producer SDK's StreamDefinition
// constructor and StreamInfo defaults.
const (
	DefaultFragmentDuration    = 2 * time.Second
	DefaultMaxFragmentDuration = 20 * time.Second
	DefaultRetention           = time.Hour
	DefaultContentType         = "video/h264"
	DefaultBufferDuration      = 120 * time.Second
	DefaultMaxBufferBytes      = 128 << 20
	DefaultTrackName           = "kvs_video_track"
)

// Service and SDK limits the definition is checked against.
const (
	maxTracks         = 3
	maxStreamNameLen  = 256
	maxTags           = 50
	maxTagKeyLen      = 128
	maxTagValueLen    = 1024
	maxContentTypeLen = 128
	maxCodecIDLen     = 32
	maxTrackNameLen   = 32
	maxCodecPrivate   = 1 << 20
	minBufferDuration = 20 * time.Second
	minMaxBufferBytes = 1 << 20
)

var streamNameRE = regexp.MustCompile(`^[a-zA-Z0-9_.-]+$`)

// StreamDefinition describes a stream and how frames are sent to it: the Go
// form of the producer SDK's StreamDefinition / StreamInfo. Zero fields take
// the SDK defaults; boolean options whose SDK default is true are spelled
// negatively (NoKeyFrameFragmentation, ...) so that the zero value is the
// default.
type StreamDefinition struct {
	// Name is the stream name (required).
	Name string
	// Retention is the retention of a stream the library creates, rounded
	// up to hours; default one hour. Set NoRetention for a stream that
	// keeps nothing (retention 0).
	Retention   time.Duration
	NoRetention bool
	// KMSKeyID encrypts a created stream; empty means the service default.
	KMSKeyID string
	// DeviceName is stored with a created stream.
	DeviceName string
	// ContentType is the MediaType of a created stream; default "video/h264".
	ContentType string
	// Tags are added to the stream with TagStream (existing tags stay).
	Tags map[string]string

	// Tracks are the stream's tracks, one to three. Empty means one H.264
	// video track with ID 1 whose codec private data comes from the first
	// key frame.
	Tracks []Track

	// FragmentDuration is the desired fragment duration; default 2 s. With
	// key-frame fragmentation a fragment starts at every key frame and this
	// is unused; without it a fragment starts at the first key frame after
	// FragmentDuration.
	FragmentDuration time.Duration
	// NoKeyFrameFragmentation turns off key_frame_fragmentation: fragments
	// start at the first key frame once FragmentDuration has elapsed
	// (needed e.g. for audio-only streams, where every frame is a key frame).
	NoKeyFrameFragmentation bool
	// MaxFragmentDuration bounds a fragment; default and maximum 20 s. A
	// frame beyond it is refused with ErrFragmentTooLong, unless
	// ForceFragment is set.
	MaxFragmentDuration time.Duration
	// ForceFragment starts a new fragment at a non-key frame when the
	// fragment would otherwise exceed MaxFragmentDuration. Players cannot
	// decode such a fragment on its own; it only keeps the upload going.
	ForceFragment bool
	// NoFrameTimecodes turns off frame_timecodes: frames are stamped with
	// the wall clock when they are put and their DTS and PTS are ignored.
	NoFrameTimecodes bool
	// RelativeFragmentTimes turns off absolute_fragment_times: cluster
	// timecodes are relative to Origin, which PutMedia sends as the
	// producer start timestamp; the service stores absolute times anyway.
	RelativeFragmentTimes bool
	// Origin is the wall-clock time of frame timestamp 0; zero means the
	// time the Stream was created. Encoders whose timestamps are Unix times
	// use time.Unix(0, 0).
	Origin time.Time

	// NALAdaptation converts H.264/H.265 frames and codec private data;
	// the zero value is the SDK default (Annex B frames and CPD to AVCC).
	NALAdaptation NALAdaptation

	// BufferDuration bounds the content store by duration (buffer_duration,
	// default 120 s, at least 20 s); MaxBufferBytes bounds it by size
	// (default 128 MiB, the C SDK's default storage size, at least 1 MiB).
	// See the package documentation for the drop policy.
	BufferDuration time.Duration
	MaxBufferBytes int64
	// MaxLatency is the buffered-but-unsent duration above which
	// Callbacks.LatencyPressure is called; 0 never calls it.
	MaxLatency time.Duration
	// AverageBitrate is the stream's expected bitrate in bits per second
	// (the SDK's avg_bandwidth_bps). When set, NewStream allocates the
	// buffers of the first two fragments at that size and writes to every
	// page of them, as the C SDK allocates its storage up front: a program
	// that starts many streams at once then does not pay for fresh memory
	// while its first fragments are sent. 0 grows buffers as frames come.
	AverageBitrate int64

	// Callbacks report what happens to the stream.
	Callbacks Callbacks
}

// withDefaults returns d with zero fields set to their defaults.
func (d StreamDefinition) withDefaults(now time.Time) StreamDefinition {
	if d.Retention == 0 && !d.NoRetention {
		d.Retention = DefaultRetention
	}
	if d.NoRetention {
		d.Retention = 0
	}
	if d.ContentType == "" {
		d.ContentType = DefaultContentType
	}
	if len(d.Tracks) == 0 {
		d.Tracks = []Track{{ID: 1, Name: DefaultTrackName, CodecID: CodecH264, Type: TrackVideo}}
	} else {
		d.Tracks = append([]Track(nil), d.Tracks...)
	}
	if d.FragmentDuration == 0 {
		d.FragmentDuration = DefaultFragmentDuration
	}
	if d.MaxFragmentDuration == 0 {
		d.MaxFragmentDuration = DefaultMaxFragmentDuration
	}
	if d.Origin.IsZero() {
		d.Origin = now
	}
	if d.BufferDuration == 0 {
		d.BufferDuration = DefaultBufferDuration
	}
	if d.MaxBufferBytes == 0 {
		d.MaxBufferBytes = DefaultMaxBufferBytes
	}
	return d
}

// validate checks a definition that has its defaults.
func (d *StreamDefinition) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("stream %q: %s: %w", d.Name, fmt.Sprintf(format, args...), ErrInvalidDefinition)
	}
	switch {
	case len(d.Name) == 0 || len(d.Name) > maxStreamNameLen || !streamNameRE.MatchString(d.Name):
		return bad("name must be 1 to %d characters of [a-zA-Z0-9_.-]", maxStreamNameLen)
	case d.Retention < 0 || d.Retention > 0 && d.Retention < time.Hour:
		return bad("retention %s: 0 or at least one hour", d.Retention)
	case len(d.ContentType) > maxContentTypeLen:
		return bad("content type longer than %d", maxContentTypeLen)
	case len(d.Tags) > maxTags:
		return bad("%d tags, at most %d", len(d.Tags), maxTags)
	case len(d.Tracks) > maxTracks:
		return bad("%d tracks, at most %d", len(d.Tracks), maxTracks)
	case d.FragmentDuration < 0 || d.MaxFragmentDuration < 0 || d.MaxFragmentDuration > DefaultMaxFragmentDuration:
		return bad("max fragment duration %s: at most %s", d.MaxFragmentDuration, DefaultMaxFragmentDuration)
	case d.BufferDuration < minBufferDuration:
		return bad("buffer duration %s: at least %s", d.BufferDuration, minBufferDuration)
	case d.MaxBufferBytes < minMaxBufferBytes:
		return bad("max buffer bytes %d: at least %d", d.MaxBufferBytes, minMaxBufferBytes)
	case d.MaxLatency < 0:
		return bad("negative max latency")
	case d.AverageBitrate < 0:
		return bad("negative average bitrate")
	}
	for k, v := range d.Tags {
		if k == "" || len(k) > maxTagKeyLen || len(v) > maxTagValueLen {
			return bad("tag %q: key 1 to %d, value up to %d characters", k, maxTagKeyLen, maxTagValueLen)
		}
	}
	if err := d.NALAdaptation.validate(); err != nil {
		return err
	}
	seen := map[uint64]bool{}
	for _, t := range d.Tracks {
		switch {
		case t.ID == 0 || seen[t.ID]:
			return bad("track ID %d: must be unique and > 0", t.ID)
		case t.CodecID == "" || len(t.CodecID) > maxCodecIDLen:
			return bad("track %d codec ID %q: 1 to %d characters", t.ID, t.CodecID, maxCodecIDLen)
		case len(t.Name) > maxTrackNameLen:
			return bad("track %d name longer than %d", t.ID, maxTrackNameLen)
		case t.Type != TrackVideo && t.Type != TrackAudio:
			return bad("track %d type %d: video or audio", t.ID, t.Type)
		case len(t.CodecPrivate) > maxCodecPrivate:
			return bad("track %d codec private data above %d octets", t.ID, maxCodecPrivate)
		case t.CodecPrivate == nil && t.CodecID == CodecAAC:
			return bad("track %d: AAC needs CodecPrivate (AudioSpecificConfig)", t.ID)
		}
		seen[t.ID] = true
	}
	return nil
}

// fragmentingTrack is the track whose key frames start fragments: the first
// video track, or the first track of an audio-only stream. Other tracks'
// frames join the fragment in progress.
func (d *StreamDefinition) fragmentingTrack() uint64 {
	for _, t := range d.Tracks {
		if t.Type == TrackVideo {
			return t.ID
		}
	}
	return d.Tracks[0].ID
}
