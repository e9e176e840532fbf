package media

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/openkvs/openkvs/internal/live"
	"github.com/openkvs/openkvs/internal/store"
)

// Store is the part of store.Fragments that consumers read.
type Store interface {
	Get(ctx context.Context, stream string, number uint64) (store.Fragment, error)
	List(ctx context.Context, q store.FragmentQuery) ([]store.Fragment, error)
	ReadMedia(ctx context.Context, f store.Fragment, dst []byte) ([]byte, error)
	ReadHeader(ctx context.Context, stream string, headerID uint64) ([]byte, error)
}

// Live delivers fragments as they arrive; see live.Hub.
type Live interface {
	Subscribe(stream string) *live.Subscription
}

// Config holds the consumer limits; zero values take the KVS defaults.
type Config struct {
	// GetMediaConnections is how many GetMedia readers a stream may have.
	GetMediaConnections int // 3
	// NoDataTimeout ends a GetMedia response that has had nothing to send
	// for this long (the documented 3 s).
	NoDataTimeout time.Duration
	// MetadataPointsPerSecond and MediaPointsPerSecond are the KVS
	// per-stream fragment quotas (10,000 and 500); negative turns one off.
	MetadataPointsPerSecond float64
	MediaPointsPerSecond    float64
}

// Deps are the Service's collaborators. Log and Now may be nil.
type Deps struct {
	Store Store
	Live  Live
	Log   *slog.Logger
	Now   func() time.Time
}

// Service reads fragments for consumers.
type Service struct {
	cfg   Config
	store Store
	live  Live
	log   *slog.Logger
	now   func() time.Time

	mu      sync.Mutex
	readers map[string]int

	metadata *quota
	media    *quota
}

// Errors the api layer maps to AWS errors.
var (
	// ErrNotFound: a requested fragment does not exist.
	ErrNotFound = errors.New("fragment not found")
	// ErrInvalidArgument: a selector, token or list is malformed.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrConnectionLimit: the stream has too many GetMedia readers.
	ErrConnectionLimit = errors.New("connection limit exceeded")
	// ErrClientLimit: a per-stream fragment quota is used up.
	ErrClientLimit = errors.New("client limit exceeded")
)

// New returns a Service.
func New(cfg Config, deps Deps) (*Service, error) {
	if deps.Store == nil || deps.Live == nil {
		return nil, errors.New("media: store and live are required")
	}
	if cfg.GetMediaConnections <= 0 {
		cfg.GetMediaConnections = 3
	}
	if cfg.NoDataTimeout <= 0 {
		cfg.NoDataTimeout = 3 * time.Second
	}
	if cfg.MetadataPointsPerSecond == 0 {
		cfg.MetadataPointsPerSecond = 10_000
	}
	if cfg.MediaPointsPerSecond == 0 {
		cfg.MediaPointsPerSecond = 500
	}
	s := &Service{cfg: cfg, store: deps.Store, live: deps.Live, log: deps.Log, now: deps.Now, readers: map[string]int{},
		metadata: newQuota("fragment metadata", cfg.MetadataPointsPerSecond),
		media:    newQuota("fragment media", cfg.MediaPointsPerSecond)}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}
