package dash

import (
	"context"
	"io"
	"time"

	"github.com/openkvs/openkvs/internal/errkind"
	"github.com/openkvs/openkvs/internal/playback"
	"github.com/openkvs/openkvs/internal/playback/session"
	"github.com/openkvs/openkvs/internal/store"
)

// Config tunes the DASH service.
type Config = session.Config

// Request is a validated GetDASHStreamingSessionURL request.
type Request = session.Request

// Service creates DASH sessions and serves their manifests and segments.
type Service struct {
	m   *session.Manager
	src *playback.Source
}

// New returns a Service reading through src.
func New(cfg Config, src *playback.Source) (*Service, error) {
	m, err := session.New(cfg, "dash", src)
	if err != nil {
		return nil, err
	}
	return &Service{m: m, src: src}, nil
}

// NewSession checks the request against the stream and returns a session
// token (GetDASHStreamingSessionURL).
func (s *Service) NewSession(ctx context.Context, req Request) (string, error) {
	req.Discontinuity, req.TS = "", false
	return s.m.Create(ctx, req, playback.APIDASH)
}

// starts returns each fragment's start on the session's continuous media
// timeline, and the end of the last one.
func starts(fs []store.Fragment, by store.TimestampKind) []time.Duration {
	out := make([]time.Duration, len(fs)+1)
	for i := range fs {
		out[i+1] = out[i] + session.Extinf(fs, i, by)
	}
	return out
}

// header returns the session's producer header: a DASH session keeps the
// codec configuration of its first fragment.
func (s *Service) header(ctx context.Context, ss *session.Session) (*playback.Header, error) {
	h, err := s.src.Header(ctx, store.Fragment{Stream: ss.Stream, HeaderID: ss.Header})
	if err != nil {
		return nil, errkind.New(playback.ErrNotFound, "The session's stream header was not found.")
	}
	if err := session.CheckTracks(h, playback.APIDASH, false); err != nil {
		return nil, err
	}
	return h, nil
}

// InitFragment writes the init segment of a track (GetMP4InitFragment).
func (s *Service) InitFragment(ctx context.Context, token string, track int, w io.Writer) error {
	ss, err := s.m.Open(token)
	if err != nil {
		return err
	}
	return s.m.InitFragment(ctx, ss, playback.APIDASH, track, ss.Header, w)
}

// MediaFragment writes segment number n (1-based position in the session)
// of one track as moof+mdat (GetMP4MediaFragment), timed on the
// manifest's continuous timeline.
func (s *Service) MediaFragment(ctx context.Context, token string, track int, n int, w io.Writer) error {
	ss, err := s.m.Open(token)
	if err != nil {
		return err
	}
	fs, _, err := s.m.Fragments(ctx, ss)
	if err != nil {
		return err
	}
	if n < 1 || n > len(fs) {
		return errkind.New(playback.ErrNotFound, "Segment %d is not part of the session.", n)
	}
	first, err := s.header(ctx, ss)
	if err != nil {
		return err
	}
	same := func(h *playback.Header) error {
		if !h.SameTracks(first) {
			// KVS fails DASH fragments whose codec private data differs
			// from the session's first (data-plane-api.md §6).
			return errkind.New(playback.ErrInvalidCodecPrivateData, "Segment %d changes the codec private data of the session.", n)
		}
		return nil
	}
	at := starts(fs[:n], ss.By)[n-1]
	return s.m.MediaFragment(ctx, ss, playback.APIDASH, fs[n-1], track, at, same, w)
}
