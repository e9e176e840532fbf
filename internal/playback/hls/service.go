package hls

import (
	"context"

	"github.com/openkvs/openkvs/internal/playback"
	"github.com/openkvs/openkvs/internal/playback/session"
	"github.com/openkvs/openkvs/internal/store"
)

// Config tunes the HLS service.
type Config = session.Config

// Request is a validated GetHLSStreamingSessionURL request.
type Request = session.Request

// Playback and discontinuity modes, as session defines them.
const (
	ModeLive            = session.ModeLive
	ModeLiveReplay      = session.ModeLiveReplay
	ModeOnDemand        = session.ModeOnDemand
	DiscontinuityAlways = session.DiscontinuityAlways
	DiscontinuityNever  = session.DiscontinuityNever
	DiscontinuityOnGap  = session.DiscontinuityOnGap
)

// Service creates HLS sessions and serves their playlists and segments.
type Service struct {
	m   *session.Manager
	src *playback.Source
}

// New returns a Service reading through src.
func New(cfg Config, src *playback.Source) (*Service, error) {
	m, err := session.New(cfg, "hls", src)
	if err != nil {
		return nil, err
	}
	return &Service{m: m, src: src}, nil
}

// NewSession checks the request against the stream and returns a session
// token (GetHLSStreamingSessionURL).
func (s *Service) NewSession(ctx context.Context, req Request) (string, error) {
	if req.Discontinuity == "" {
		req.Discontinuity = DiscontinuityAlways
		if req.By == store.ByProducerTimestamp {
			req.Discontinuity = DiscontinuityNever
		}
	}
	return s.m.Create(ctx, req, playback.APIHLS)
}
