package clip

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/openkvs/openkvs/internal/errkind"
	"github.com/openkvs/openkvs/internal/playback"
	"github.com/openkvs/openkvs/internal/store"
)

// Config holds the GetClip limits; zero values take the KVS quotas.
type Config struct {
	// MaxBytes caps the clip's media (100 MB, hard quota).
	MaxBytes int64
	// MaxFragments caps the fragments in a clip (200, hard quota).
	MaxFragments int
}

// Service answers GetClip.
type Service struct {
	cfg Config
	src *playback.Source
	now func() time.Time
}

// New returns a Service reading through src. now may be nil.
func New(cfg Config, src *playback.Source, now func() time.Time) (*Service, error) {
	if src == nil {
		return nil, fmt.Errorf("clip: source is required")
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 100 << 20
	}
	if cfg.MaxFragments <= 0 {
		cfg.MaxFragments = 200
	}
	if now == nil {
		now = time.Now
	}
	return &Service{cfg: cfg, src: src, now: now}, nil
}

// Request is a GetClip request for one stream incarnation.
type Request struct {
	// Stream is the stream ARN.
	Stream string
	// RetentionHours of the stream; 0 means NoDataRetentionException.
	RetentionHours int
	// By is the ClipFragmentSelector's FragmentSelectorType.
	By store.TimestampKind
	// Start and End are the ClipTimestampRange, both inclusive, compared to
	// fragment start timestamps.
	Start, End time.Time
}

// maxRange is the longest ClipTimestampRange (data-plane-api.md §13.3).
const maxRange = 24 * time.Hour

// Clip is a prepared clip: fragments chosen, sample tables built. WriteTo
// streams it.
type Clip struct {
	src       *playback.Source
	fragments []store.Fragment
	layout    *layout
}

// Size is the clip's byte length, known before it is written, so the
// response carries Content-Length.
func (c *Clip) Size() int64 { return c.layout.size }

// Prepare validates the request, selects the fragments (first 200 or first
// 100 MB, whichever comes first, truncating silently as KVS does) and reads
// them once to build the MP4 sample tables. Sample data is not kept: WriteTo
// reads the fragments a second time, so a clip never sits in memory.
func (s *Service) Prepare(ctx context.Context, req Request) (*Clip, error) {
	if !req.End.After(req.Start) {
		return nil, errkind.New(playback.ErrInvalidArgument, "The EndTimestamp must be later than the StartTimestamp.")
	}
	if req.End.Sub(req.Start) > maxRange {
		return nil, errkind.New(playback.ErrInvalidArgument, "The EndTimestamp must be within 24 hours of the StartTimestamp.")
	}
	if req.RetentionHours == 0 {
		return nil, errkind.New(playback.ErrNoDataRetention, "The stream does not retain data (DataRetentionInHours is 0).")
	}
	fs, err := s.src.Store().List(ctx, store.FragmentQuery{Stream: req.Stream, By: req.By, Start: req.Start, End: req.End})
	if err != nil {
		return nil, fmt.Errorf("list fragments: %w", err)
	}
	if req.By == store.ByProducerTimestamp {
		fs = dedupe(fs)
	}
	if len(fs) == 0 {
		return nil, errkind.New(playback.ErrNotFound, "No fragments were found in the requested time range.")
	}
	fs = fs[:min(len(fs), s.cfg.MaxFragments)]
	l, n, err := plan(ctx, s.src, fs, s.cfg.MaxBytes)
	if err != nil {
		return nil, err
	}
	return &Clip{src: s.src, fragments: fs[:n], layout: l}, nil
}

// dedupe keeps, of fragments listed in ingestion order, those whose
// producer timestamp is later than every one kept before. When a producer
// re-sends a time range, the oldest-ingested collection wins
// (ClipFragmentSelector, data-plane-api.md §13.2).
func dedupe(fs []store.Fragment) []store.Fragment {
	out := fs[:0]
	for _, f := range fs {
		if len(out) > 0 && !f.ProducerTimestamp.After(out[len(out)-1].ProducerTimestamp) {
			continue
		}
		out = append(out, f)
	}
	return out
}

// WriteTo writes the MP4 file: ftyp, moov, then mdat with the frames read
// from the store a second time.
func (c *Clip) WriteTo(ctx context.Context, w io.Writer) error {
	if _, err := w.Write(c.layout.head); err != nil {
		return err
	}
	var frag playback.Fragment
	for i, f := range c.fragments {
		if err := c.src.Read(ctx, f, &frag); err != nil {
			return err
		}
		for _, ti := range c.layout.order {
			for _, fr := range frag.Frames {
				if fr.Track != ti {
					continue
				}
				if _, err := w.Write(fr.Data); err != nil {
					return err
				}
			}
		}
		if got := c.layout.written(i, &frag); got != nil {
			return got
		}
	}
	return nil
}
