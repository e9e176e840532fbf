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
	tr  *trackers // nil without low-latency HLS
}

// SetLive turns on low-latency HLS (LowLatency=1 on a LIVE fMP4
// session's playlist URLs), fed with frames as they arrive from l. Call
// it before the Service is used.
func (s *Service) SetLive(l Live) {
	s.tr = &trackers{live: l, stop: make(chan struct{}), m: map[string]*tracker{}}
}

// Close ends the low-latency subscriptions.
func (s *Service) Close() {
	if s.tr != nil {
		s.tr.once.Do(func() { close(s.tr.stop) })
	}
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
