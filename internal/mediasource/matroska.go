package mediasource

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/openkvs/openkvs/mkv"
	"github.com/openkvs/openkvs/producer"
)

// maxTracks is the most tracks a KVS stream carries.
const maxTracks = 3

// maxInterleave bounds the frames held to put tracks in DTS order.
const maxInterleave = 256

// mkvTrack is a Matroska track that is passed on.
type mkvTrack struct {
	index      int // position in Tracks()
	out        producer.Track
	video      videoCodec // 0 for audio
	lengthSize int        // NAL length size of the stored frames
	defaultDur time.Duration
	dts        *dtsFromPTS // video only
}

// mkvSource reads a Matroska or WebM stream (a file or a pipe) with the mkv
// package, one element at a time.
type mkvSource struct {
	r       *mkv.Reader
	closer  io.Closer
	scale   time.Duration // TimestampScale
	tracks  []producer.Track
	byNum   map[uint64]*mkvTrack
	merge   *interleaver
	eof     bool
	blockTS int64 // absolute timestamp of the last block, in scale units
}

// openMatroska reads up to the Tracks element.
func openMatroska(r io.Reader, closer io.Closer, log *slog.Logger) (*mkvSource, error) {
	s := &mkvSource{
		r:      mkv.NewReader(r, mkv.ReaderOptions{}),
		closer: closer,
		scale:  time.Millisecond,
		byNum:  map[uint64]*mkvTrack{},
	}
	for {
		kind, err := s.r.Next()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("matroska: the stream ends before its Tracks element: %w", ErrNoVideo)
		}
		if err != nil {
			return nil, fmt.Errorf("read matroska: %v: %w", err, ErrMalformed)
		}
		switch kind {
		case mkv.KindInfo:
			info, err := s.r.Info()
			if err != nil {
				return nil, fmt.Errorf("read matroska info: %v: %w", err, ErrMalformed)
			}
			if info.TimestampScale > 0 {
				s.scale = time.Duration(info.TimestampScale)
			}
		case mkv.KindTracks:
			tracks, err := s.r.Tracks()
			if err != nil {
				return nil, fmt.Errorf("read matroska tracks: %v: %w", err, ErrMalformed)
			}
			if err := s.setTracks(tracks, log); err != nil {
				return nil, err
			}
			return s, nil
		case mkv.KindBlock, mkv.KindCluster:
			return nil, fmt.Errorf("matroska: media before the Tracks element: %w", ErrMalformed)
		}
	}
}

// setTracks picks the first H.264/H.265 track and up to two audio tracks
// whose codecs a KVS stream carries.
func (s *mkvSource) setTracks(tracks mkv.Tracks, log *slog.Logger) error {
	var found []string
	var video *mkv.TrackEntry
	for i := range tracks.Entries {
		e := &tracks.Entries[i]
		found = append(found, e.CodecID)
		if e.Type == mkv.TrackTypeVideo && video == nil && codecOfMatroska(e.CodecID) != 0 {
			video = e
		}
	}
	if video == nil {
		return fmt.Errorf("matroska tracks %v: %w (supported: %s, %s)", found, ErrNoVideo, producer.CodecH264, producer.CodecH265)
	}
	if err := s.addVideo(video); err != nil {
		return err
	}
	for i := range tracks.Entries {
		e := &tracks.Entries[i]
		switch {
		case e == video:
		case e.Type == mkv.TrackTypeAudio && supportedAudio(e.CodecID) && len(s.tracks) < maxTracks:
			s.addAudio(e)
		default:
			log.Warn("skipping matroska track", "number", e.Number, "codec", e.CodecID)
		}
	}
	s.merge = newInterleaver(len(s.tracks), maxInterleave)
	return nil
}

// codecOfMatroska maps a Matroska video CodecID to the codec, 0 if not
// supported.
func codecOfMatroska(id string) videoCodec {
	switch {
	case strings.HasPrefix(id, producer.CodecH264):
		return codecH264
	case strings.HasPrefix(id, producer.CodecH265):
		return codecH265
	}
	return 0
}

// supportedAudio reports whether KVS consumers understand the audio codec.
func supportedAudio(id string) bool {
	switch {
	case strings.HasPrefix(id, producer.CodecAAC), id == producer.CodecOpus, id == producer.CodecMSACM:
		return true
	}
	return false
}

func (s *mkvSource) addVideo(e *mkv.TrackEntry) error {
	codec := codecOfMatroska(e.CodecID)
	t := &mkvTrack{index: len(s.tracks), video: codec, lengthSize: 4, dts: &dtsFromPTS{}, defaultDur: time.Duration(e.DefaultDuration)}
	t.out = producer.Track{ID: uint64(len(s.tracks) + 1), Name: "kvs_video_track", CodecID: codec.codecID(), Type: producer.TrackVideo}
	if len(e.CodecPrivate) > 0 {
		rec, lengthSize, err := normaliseDecoderConfig(codec, e.CodecPrivate)
		if err != nil {
			return fmt.Errorf("matroska track %d: %w", e.Number, err)
		}
		t.out.CodecPrivate, t.lengthSize = rec, lengthSize
		t.out.Width, t.out.Height = videoSize(codec, rec)
	}
	if t.out.Width == 0 && e.Video != nil {
		t.out.Width, t.out.Height = int(e.Video.PixelWidth), int(e.Video.PixelHeight)
	}
	s.byNum[e.Number] = t
	s.tracks = append(s.tracks, t.out)
	return nil
}

func (s *mkvSource) addAudio(e *mkv.TrackEntry) {
	t := &mkvTrack{index: len(s.tracks), defaultDur: time.Duration(e.DefaultDuration)}
	codecID := e.CodecID
	if strings.HasPrefix(codecID, producer.CodecAAC) {
		codecID = producer.CodecAAC // A_AAC/MPEG4/LC and friends: the config says the profile
	}
	t.out = producer.Track{
		ID: uint64(len(s.tracks) + 1), Name: "kvs_audio_track", CodecID: codecID, Type: producer.TrackAudio,
		CodecPrivate: bytes.Clone(e.CodecPrivate),
	}
	if e.Audio != nil {
		t.out.SampleRate, t.out.Channels, t.out.BitDepth = e.Audio.SamplingFrequency, int(e.Audio.Channels), int(e.Audio.BitDepth)
	}
	s.byNum[e.Number] = t
	s.tracks = append(s.tracks, t.out)
}

func (s *mkvSource) Tracks() []producer.Track { return s.tracks }

func (s *mkvSource) Next(ctx context.Context) (producer.Frame, error) {
	for {
		if f, ok := s.merge.pop(s.eof); ok {
			return f, nil
		}
		if s.eof {
			return producer.Frame{}, io.EOF
		}
		if err := ctx.Err(); err != nil {
			return producer.Frame{}, err
		}
		if err := s.readBlock(); err != nil {
			return producer.Frame{}, err
		}
	}
}

// readBlock reads until one block of a passed-on track was queued, or the
// input ended.
func (s *mkvSource) readBlock() error {
	for {
		kind, err := s.r.Next()
		if errors.Is(err, io.EOF) {
			s.eof = true
			for _, t := range s.byNum {
				if t.dts == nil {
					continue
				}
				for f, ok := t.dts.flush(); ok; f, ok = t.dts.flush() {
					s.merge.push(t.index, f)
				}
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("read matroska: %v: %w", err, ErrMalformed)
		}
		if kind == mkv.KindTracks {
			return fmt.Errorf("matroska: a second Tracks element (chained streams) is not supported: %w", ErrUnsupported)
		}
		if kind != mkv.KindBlock {
			continue
		}
		b := s.r.Block()
		t, ok := s.byNum[b.Track]
		if !ok {
			continue
		}
		if err := s.queueBlock(t, b); err != nil {
			return err
		}
		return nil
	}
}

// queueBlock turns the frames of a block into producer frames.
func (s *mkvSource) queueBlock(t *mkvTrack, b *mkv.Block) error {
	base := int64(s.r.ClusterTimestamp()) + int64(b.Timestamp)
	n := b.NumFrames()
	var dur time.Duration
	switch {
	case b.HasDuration:
		dur = time.Duration(b.Duration) * s.scale / time.Duration(n)
	case t.defaultDur > 0:
		dur = t.defaultDur
	}
	for i := range n {
		data := b.Frame(i)
		pts := time.Duration(base)*s.scale + time.Duration(i)*dur
		f := producer.Frame{TrackID: t.out.ID, PTS: pts, DTS: pts, Duration: dur}
		if t.video != 0 {
			avcc, err := toAVCC4(data, t.lengthSize)
			if err != nil {
				return fmt.Errorf("matroska track %d frame at %v: %w", b.Track, pts, err)
			}
			f.Data = bytes.Clone(avcc)
			if b.Keyframe() || frameIsKey(t.video, f.Data) {
				f.Flags |= producer.FrameKey
			}
		} else {
			f.Data = bytes.Clone(data)
			f.Flags |= producer.FrameKey
		}
		if b.Discardable() {
			f.Flags |= producer.FrameDiscardable
		}
		if t.dts != nil {
			out, ok := t.dts.push(f)
			if !ok {
				continue
			}
			f = out
		}
		s.merge.push(t.index, f)
	}
	return nil
}

func (s *mkvSource) Close() error {
	if s.closer != nil {
		return s.closer.Close()
	}
	return nil
}
