package mediasource

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/openkvs/openkvs/producer"
)

// Limits of the Annex B reader: they bound memory on garbage input.
const (
	// maxNALSize is the largest NAL unit accepted; a 4K intra picture is a
	// few MB.
	maxNALSize = 32 << 20
	// maxAccessUnitSize is the largest access unit accepted.
	maxAccessUnitSize = 64 << 20
	// maxLeadingAccessUnits is how many access units Open reads looking for
	// the first key frame (and its parameter sets) before it gives up.
	maxLeadingAccessUnits = 1500
)

// startCode3 is the 3-octet Annex B start code; a 4-octet one ends in it.
var startCode3 = []byte{0, 0, 1}

// nalScanner splits an Annex B byte stream into NAL units as the octets
// arrive: a unit is complete when the next start code (or the end of the
// input) is seen, so on a live pipe it never waits for more than that.
type nalScanner struct {
	r        io.Reader
	buf      []byte
	pos, end int  // buf[pos:end] is unconsumed; pos follows a start code once synced
	scan     int  // where the search for the next start code resumes
	synced   bool // a start code was found
	eof      bool
	err      error
}

func newNALScanner(r io.Reader) *nalScanner {
	return &nalScanner{r: r, buf: make([]byte, 64<<10)}
}

// next returns the next NAL unit without its start code and trailing zero
// octets. It aliases the scanner's buffer and is valid until the next call.
func (s *nalScanner) next() ([]byte, error) {
	for {
		if !s.synced {
			if i := bytes.Index(s.buf[s.pos:s.end], startCode3); i >= 0 {
				s.pos += i + 3
				s.scan, s.synced = s.pos, true
				continue
			}
			if s.eof {
				return nil, io.EOF
			}
			s.pos = max(s.pos, s.end-2) // keep a possible partial start code
		} else {
			if i := bytes.Index(s.buf[s.scan:s.end], startCode3); i >= 0 {
				stop := s.scan + i
				nal := trimTrailingZeros(s.buf[s.pos:stop])
				s.pos = stop + 3
				s.scan = s.pos
				if len(nal) == 0 {
					continue
				}
				return nal, nil
			}
			if s.eof {
				nal := trimTrailingZeros(s.buf[s.pos:s.end])
				s.pos = s.end
				if len(nal) == 0 {
					return nil, io.EOF
				}
				return nal, nil
			}
			s.scan = max(s.pos, s.end-2)
		}
		if err := s.fill(); err != nil {
			return nil, err
		}
	}
}

// fill reads more input, moving the unconsumed octets to the front and
// growing the buffer up to maxNALSize.
func (s *nalScanner) fill() error {
	if s.err != nil {
		return s.err
	}
	if s.pos > 0 {
		n := copy(s.buf, s.buf[s.pos:s.end])
		s.scan -= s.pos
		s.end, s.pos = n, 0
		s.scan = max(s.scan, 0)
	}
	if s.end == len(s.buf) {
		if len(s.buf) >= maxNALSize {
			s.err = fmt.Errorf("annex b: NAL unit larger than %d octets: %w", maxNALSize, ErrMalformed)
			return s.err
		}
		s.buf = append(s.buf, make([]byte, len(s.buf))...)
	}
	n, err := s.r.Read(s.buf[s.end:])
	s.end += n
	switch {
	case errors.Is(err, io.EOF):
		s.eof = true
	case err != nil:
		s.err = fmt.Errorf("read annex b: %w", err)
		return s.err
	}
	return nil
}

func trimTrailingZeros(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return b
}

// accessUnit is one access unit in AVCC form (4-octet lengths).
type accessUnit struct {
	data []byte
	key  bool
}

// accessUnitReader groups the NAL units of an Annex B stream into access
// units.
type accessUnitReader struct {
	codec   videoCodec
	nals    *nalScanner
	params  parameterSets
	pending []byte // the NAL unit that starts the next access unit
	done    bool
}

// next returns the next access unit that holds a slice; units without one
// (a trailing end-of-stream NAL unit) are dropped.
func (r *accessUnitReader) next() (accessUnit, error) {
	var au accessUnit
	hasVCL := false
	if r.pending != nil {
		au.data = appendNAL(au.data, r.pending)
		hasVCL, au.key = r.codec.isVCL(r.pending), r.codec.isKey(r.pending)
		r.pending = nil
	}
	for !r.done {
		nal, err := r.nals.next()
		if errors.Is(err, io.EOF) {
			r.done = true
			break
		}
		if err != nil {
			return accessUnit{}, err
		}
		r.params.add(r.codec, nal)
		if hasVCL && r.codec.startsAccessUnit(nal) {
			r.pending = bytes.Clone(nal)
			return au, nil
		}
		if len(au.data)+len(nal) > maxAccessUnitSize {
			return accessUnit{}, fmt.Errorf("annex b: access unit larger than %d octets: %w", maxAccessUnitSize, ErrMalformed)
		}
		au.data = appendNAL(au.data, nal)
		hasVCL = hasVCL || r.codec.isVCL(nal)
		au.key = au.key || r.codec.isKey(nal)
	}
	if !hasVCL {
		return accessUnit{}, io.EOF
	}
	return au, nil
}

// annexBSource reads a raw H.264/H.265 elementary stream. Timestamps come
// from the frame rate.
type annexBSource struct {
	track    producer.Track
	aus      *accessUnitReader
	first    *accessUnit // the first key frame, read by Open
	frameDur float64     // nanoseconds
	count    int64
	closer   io.Closer
}

// openAnnexB reads up to the first key frame so the track's CodecPrivate
// and picture size are known, dropping the access units before it (they
// cannot be decoded).
func openAnnexB(r io.Reader, closer io.Closer, codec videoCodec, fps float64, log *slog.Logger) (*annexBSource, error) {
	if fps <= 0 {
		fps = 25
	}
	s := &annexBSource{
		aus:      &accessUnitReader{codec: codec, nals: newNALScanner(r)},
		frameDur: float64(time.Second) / fps,
		closer:   closer,
	}
	for skipped := 0; ; skipped++ {
		if skipped >= maxLeadingAccessUnits {
			return nil, fmt.Errorf("%s annex b: no key frame in the first %d access units: %w", codec, skipped, ErrNoKeyFrame)
		}
		au, err := s.aus.next()
		if errors.Is(err, io.EOF) {
			if skipped == 0 {
				return nil, fmt.Errorf("%s annex b: no access unit in the stream: %w", codec, ErrNoVideo)
			}
			return nil, fmt.Errorf("%s annex b: %d access units: %w", codec, skipped, ErrNoKeyFrame)
		}
		if err != nil {
			return nil, err
		}
		if au.key {
			if skipped > 0 {
				log.Warn("dropped access units before the first key frame", "count", skipped)
			}
			s.first = &au
			break
		}
	}
	cp, w, h, err := s.aus.params.decoderConfig(codec)
	if err != nil {
		return nil, err
	}
	s.track = producer.Track{
		ID: 1, Name: "kvs_video_track", CodecID: codec.codecID(), Type: producer.TrackVideo,
		CodecPrivate: cp, Width: w, Height: h,
	}
	return s, nil
}

func (s *annexBSource) Tracks() []producer.Track { return []producer.Track{s.track} }

func (s *annexBSource) Next(ctx context.Context) (producer.Frame, error) {
	if err := ctx.Err(); err != nil {
		return producer.Frame{}, err
	}
	var au accessUnit
	if s.first != nil {
		au, s.first = *s.first, nil
	} else {
		var err error
		if au, err = s.aus.next(); err != nil {
			return producer.Frame{}, err
		}
	}
	ts := time.Duration(float64(s.count) * s.frameDur)
	s.count++
	f := producer.Frame{
		TrackID:  s.track.ID,
		DTS:      ts,
		PTS:      ts,
		Duration: time.Duration(float64(s.count)*s.frameDur) - ts,
		Data:     au.data,
	}
	if au.key {
		f.Flags = producer.FrameKey
	}
	return f, nil
}

func (s *annexBSource) Close() error {
	if s.closer != nil {
		return s.closer.Close()
	}
	return nil
}
