package hls

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/openkvs/openkvs/internal/errkind"
	"github.com/openkvs/openkvs/internal/playback"
	"github.com/openkvs/openkvs/internal/store"
)

// Config tunes the HLS service.
type Config struct {
	// Key signs session tokens; nil picks a random key, so tokens do not
	// survive a restart.
	Key []byte
	// MaxSessionsPerStream caps the unexpired sessions of one stream
	// (default 100). KVS documents a per-session request rate but no
	// number for this; 100 keeps one stream from holding unbounded state.
	MaxSessionsPerStream int
	// Now may be nil.
	Now func() time.Time
}

// Service creates HLS sessions and serves their playlists and segments.
type Service struct {
	cfg Config
	src *playback.Source
	now func() time.Time

	mu       sync.Mutex
	sessions map[string]map[string]time.Time // stream -> session ID -> expiry
}

// New returns a Service reading through src.
func New(cfg Config, src *playback.Source) (*Service, error) {
	if src == nil {
		return nil, errors.New("hls: source is required")
	}
	if len(cfg.Key) == 0 {
		cfg.Key = make([]byte, 32)
		_, _ = rand.Read(cfg.Key)
	}
	if cfg.MaxSessionsPerStream <= 0 {
		cfg.MaxSessionsPerStream = 100
	}
	s := &Service{cfg: cfg, src: src, now: cfg.Now, sessions: map[string]map[string]time.Time{}}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// Request is a validated GetHLSStreamingSessionURL request.
type Request struct {
	Stream         string
	RetentionHours int
	Mode           string
	By             store.TimestampKind
	// Start and End are the HLSTimestampRange; zero when absent.
	Start, End    time.Time
	Discontinuity string // "" for the default of the selector type
	DisplayTime   bool
	Expires       time.Duration // 0 for 300 s
	MaxResults    int           // 0 for the mode's default
}

// liveWindow is how recent a fragment must be for a LIVE session.
const liveWindow = 30 * time.Second

// NewSession checks the request against the stream and returns a session
// token (GetHLSStreamingSessionURL).
func (s *Service) NewSession(ctx context.Context, req Request) (string, error) {
	now := s.now()
	if req.RetentionHours == 0 {
		return "", errkind.New(playback.ErrNoDataRetention, "The stream does not retain data (DataRetentionInHours is 0).")
	}
	if err := checkRange(req, now); err != nil {
		return "", err
	}
	if req.Expires == 0 {
		req.Expires = 300 * time.Second
	}
	if req.MaxResults == 0 {
		req.MaxResults = 5
		if req.Mode == ModeOnDemand {
			req.MaxResults = 1000
		}
	}
	if req.Discontinuity == "" {
		req.Discontinuity = DiscontinuityAlways
		if req.By == store.ByProducerTimestamp {
			req.Discontinuity = DiscontinuityNever
		}
	}
	ss := &session{ID: newSessionID(), Stream: req.Stream, Mode: req.Mode, By: req.By, Disc: req.Discontinuity,
		PDT: req.DisplayTime, Max: req.MaxResults, Expires: now.Add(req.Expires).Unix(), Created: now.UnixMilli()}
	if !req.Start.IsZero() {
		ss.Start = req.Start.UnixMilli()
	}
	if !req.End.IsZero() {
		ss.End = req.End.UnixMilli()
	}
	// The first fragments decide whether the session can play at all.
	var first []store.Fragment
	switch req.Mode {
	case ModeLive:
		fs, err := s.src.Store().List(ctx, store.FragmentQuery{Stream: req.Stream, By: store.ByServerTimestamp, Start: now.Add(-liveWindow)})
		if err != nil {
			return "", fmt.Errorf("list fragments: %w", err)
		}
		if len(fs) == 0 {
			return "", errkind.New(playback.ErrNotFound, "No fragments were ingested in the last 30 seconds.")
		}
		fs = fs[max(0, len(fs)-ss.Max):]
		first = fs
		ss.After = fs[0].Number - 1
	default:
		fs, err := s.src.Store().List(ctx, store.FragmentQuery{Stream: req.Stream, By: req.By, Start: req.Start, End: req.End, Limit: 1})
		if err != nil {
			return "", fmt.Errorf("list fragments: %w", err)
		}
		if len(fs) == 0 {
			return "", errkind.New(playback.ErrNotFound, "No fragments were found in the requested time range.")
		}
		first = fs
	}
	h, err := s.src.Header(ctx, first[0])
	if err != nil {
		return "", err
	}
	if err := h.Check(playback.APIHLS); err != nil {
		return "", err
	}
	ss.Origin = timestamp(first[0], req.By).UnixMilli()
	if err := s.count(req.Stream, ss.ID, now, now.Add(req.Expires)); err != nil {
		return "", err
	}
	return sign(s.cfg.Key, ss), nil
}

// checkRange applies the HLSFragmentSelector rules of each playback mode
// (data-plane-api.md §5, §13.5, §13.6).
func checkRange(req Request, now time.Time) error {
	switch req.Mode {
	case ModeLive:
		if !req.Start.IsZero() || !req.End.IsZero() {
			return errkind.New(playback.ErrInvalidArgument, "A TimestampRange must not be given with PlaybackMode LIVE.")
		}
		return nil
	case ModeOnDemand:
		if req.Start.IsZero() || req.End.IsZero() {
			return errkind.New(playback.ErrInvalidArgument, "PlaybackMode ON_DEMAND needs a TimestampRange with StartTimestamp and EndTimestamp.")
		}
	case ModeLiveReplay:
		if req.Start.IsZero() {
			return errkind.New(playback.ErrInvalidArgument, "PlaybackMode LIVE_REPLAY needs a TimestampRange with StartTimestamp.")
		}
	default:
		return errkind.New(playback.ErrInvalidArgument, "PlaybackMode %q is not valid.", req.Mode)
	}
	if !req.End.IsZero() {
		if !req.End.After(req.Start) {
			return errkind.New(playback.ErrInvalidArgument, "The EndTimestamp must be later than the StartTimestamp.")
		}
		if req.End.Sub(req.Start) > 24*time.Hour {
			return errkind.New(playback.ErrInvalidArgument, "The EndTimestamp must be within 24 hours of the StartTimestamp.")
		}
	}
	return nil
}

// count registers a session against the stream's limit, dropping expired
// ones first.
func (s *Service) count(stream, id string, now, expires time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.sessions[stream]
	if m == nil {
		m = map[string]time.Time{}
		s.sessions[stream] = m
	}
	for k, exp := range m {
		if !now.Before(exp) {
			delete(m, k)
		}
	}
	if len(m) >= s.cfg.MaxSessionsPerStream {
		return errkind.New(playback.ErrClientLimit, "The stream already has %d active HLS sessions.", len(m))
	}
	m[id] = expires
	return nil
}

// timestamp is the fragment's timestamp of the session's selector type.
func timestamp(f store.Fragment, by store.TimestampKind) time.Time {
	if by == store.ByProducerTimestamp {
		return f.ProducerTimestamp
	}
	return f.ServerTimestamp
}

// open verifies a token.
func (s *Service) open(token string) (*session, error) {
	return open(s.cfg.Key, token, s.now())
}
