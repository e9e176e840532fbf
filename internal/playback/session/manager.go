package session

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/openkvs/openkvs/internal/errkind"
	"github.com/openkvs/openkvs/internal/media"
	"github.com/openkvs/openkvs/internal/playback"
	"github.com/openkvs/openkvs/internal/store"
)

// Config tunes a Manager.
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

// Manager creates and opens the sessions of one protocol.
type Manager struct {
	cfg Config
	api string
	src *playback.Source
	now func() time.Time

	mu       sync.Mutex
	sessions map[string]map[string]time.Time // stream -> session ID -> expiry
}

// New returns a Manager for the protocol api ("hls" or "dash") reading
// through src.
func New(cfg Config, api string, src *playback.Source) (*Manager, error) {
	if src == nil {
		return nil, errors.New("session: source is required")
	}
	if len(cfg.Key) == 0 {
		cfg.Key = make([]byte, 32)
		_, _ = rand.Read(cfg.Key)
	}
	if cfg.MaxSessionsPerStream <= 0 {
		cfg.MaxSessionsPerStream = 100
	}
	m := &Manager{cfg: cfg, api: api, src: src, now: cfg.Now, sessions: map[string]map[string]time.Time{}}
	if m.now == nil {
		m.now = time.Now
	}
	return m, nil
}

// Source returns the source the manager reads through.
func (m *Manager) Source() *playback.Source { return m.src }

// Now is the manager's clock.
func (m *Manager) Now() time.Time { return m.now() }

// Request is a validated Get{HLS,DASH}StreamingSessionURL request.
type Request struct {
	Stream         string
	RetentionHours int
	Mode           string
	By             store.TimestampKind
	// Start and End are the TimestampRange; zero when absent.
	Start, End    time.Time
	Discontinuity string // HLS; "" for the default of the selector type
	DisplayTime   bool
	DisplayNumber bool          // DASH DisplayFragmentNumber ALWAYS
	TS            bool          // HLS ContainerFormat MPEG_TS
	Expires       time.Duration // 0 for 300 s
	MaxResults    int           // 0 for the mode's default
}

// liveWindow is how recent a fragment must be for a LIVE session.
const liveWindow = 30 * time.Second

// Create checks the request against the stream and returns a session
// token.
func (m *Manager) Create(ctx context.Context, req Request, api playback.API) (string, error) {
	now := m.now()
	if req.RetentionHours == 0 {
		return "", errkind.New(playback.ErrNoDataRetention, "The stream does not retain data (DataRetentionInHours is 0).")
	}
	if err := checkRange(req); err != nil {
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
	ss := &Session{ID: newSessionID(), API: m.api, Stream: req.Stream, Mode: req.Mode, By: req.By, Disc: req.Discontinuity,
		PDT: req.DisplayTime, FN: req.DisplayNumber, TS: req.TS, Max: req.MaxResults,
		Expires: now.Add(req.Expires).Unix(), Created: now.UnixMilli()}
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
		fs, err := m.src.Store().List(ctx, store.FragmentQuery{Stream: req.Stream, By: store.ByServerTimestamp, Start: now.Add(-liveWindow)})
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
		fs, err := m.src.Store().List(ctx, store.FragmentQuery{Stream: req.Stream, By: req.By, Start: req.Start, End: req.End, Limit: 1})
		if err != nil {
			return "", fmt.Errorf("list fragments: %w", err)
		}
		if len(fs) == 0 {
			return "", errkind.New(playback.ErrNotFound, "No fragments were found in the requested time range.")
		}
		first = fs
	}
	h, err := m.src.Header(ctx, first[0])
	if err != nil {
		return "", err
	}
	if err := CheckTracks(h, api, req.TS); err != nil {
		return "", err
	}
	ss.Origin = Timestamp(first[0], req.By).UnixMilli()
	ss.Header = first[0].HeaderID
	if req.Mode != ModeOnDemand {
		// Media time 0 is the session's first fragment; the newest one
		// known now ends now, so a live player starts at its edge.
		var end time.Duration
		for i := range first {
			end += Extinf(first, i, req.By)
		}
		if req.Mode == ModeLiveReplay {
			end = Extinf(first, 0, req.By)
		}
		ss.AST = now.Add(-end).UnixMilli()
	}
	if err := m.count(req.Stream, ss.ID, now, now.Add(req.Expires)); err != nil {
		return "", err
	}
	return sign(m.cfg.Key, ss), nil
}

// CheckTracks applies the API's track rules, and MPEG-TS's: KVS packages
// H.264 and AAC only in TS (data-plane-api.md §1.4); H.265, AV1, G.711
// and Opus play in fMP4 only.
func CheckTracks(h *playback.Header, api playback.API, ts bool) error {
	if err := h.Check(api); err != nil {
		return err
	}
	if ts {
		for _, t := range h.Tracks {
			if t.Codec != playback.CodecH264 && t.Codec != playback.CodecAAC {
				return errkind.New(playback.ErrUnsupportedStreamMediaType, "ContainerFormat MPEG_TS supports H.264 and AAC only; use FRAGMENTED_MP4 for %s.", t.CodecID)
			}
		}
	}
	return nil
}

// checkRange applies the fragment selector rules of each playback mode
// (data-plane-api.md §5, §13.5, §13.6).
func checkRange(req Request) error {
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
func (m *Manager) count(stream, id string, now, expires time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.sessions[stream]
	if s == nil {
		s = map[string]time.Time{}
		m.sessions[stream] = s
	}
	for k, exp := range s {
		if !now.Before(exp) {
			delete(s, k)
		}
	}
	if len(s) >= m.cfg.MaxSessionsPerStream {
		return errkind.New(playback.ErrClientLimit, "The stream already has %d active %s sessions.", len(s), m.api)
	}
	s[id] = expires
	return nil
}

// Open verifies a token of the manager's protocol.
func (m *Manager) Open(token string) (*Session, error) {
	ss, err := open(m.cfg.Key, token, m.now())
	if err != nil {
		return nil, err
	}
	if ss.API != m.api {
		return nil, errkind.New(playback.ErrNotAuthorized, "The session token is not valid.")
	}
	return ss, nil
}

// Timestamp is the fragment's timestamp of the session's selector type.
func Timestamp(f store.Fragment, by store.TimestampKind) time.Time {
	if by == store.ByProducerTimestamp {
		return f.ProducerTimestamp
	}
	return f.ServerTimestamp
}

// FormatNumber formats a fragment number as every other API shows it.
func FormatNumber(n uint64) string { return media.FormatFragmentNumber(n) }
