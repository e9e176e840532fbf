package control

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/openkvs/openkvs/internal/store"
)

// Config is what the control plane needs to know about its deployment.
type Config struct {
	Region    string
	AccountID string
	// DataEndpoint is returned by GetDataEndpoint: a full URL that clients
	// use as the endpoint of their data-plane client.
	DataEndpoint string
	// MaxStreams is the account stream limit (AccountStreamLimitExceeded).
	MaxStreams int
	// TransitionDelay is how long CREATING, UPDATING and DELETING last
	// before a stream reads as ACTIVE (or gone). KVS takes seconds; tests
	// want it short, and 0 makes every transition immediate.
	TransitionDelay time.Duration
	// SweepInterval is how often streams that finished deleting are purged.
	SweepInterval time.Duration
	// RetentionInterval is how often media older than each stream's
	// retention is deleted.
	RetentionInterval time.Duration
}

// Media is the part of the fragment store the control plane manages: it
// deletes what retention expired and what deleted streams left.
type Media interface {
	DeleteBefore(ctx context.Context, stream string, t time.Time) (int, error)
	DeleteStream(ctx context.Context, stream string) error
}

// Service implements the stream control-plane actions over a store.Catalog.
type Service struct {
	cfg   Config
	cat   store.Catalog
	media Media
	log   *slog.Logger
	now   func() time.Time

	// writeMu serialises read-modify-write sequences within this process;
	// the catalog's revision check catches writers in other processes.
	writeMu sync.Mutex

	stop chan struct{}
	done chan struct{}
}

// Deps are the Service's collaborators. Log may be nil; Now may be nil.
type Deps struct {
	Catalog store.Catalog
	// Media may be nil when no media is stored.
	Media Media
	Log   *slog.Logger
	Now   func() time.Time
}

// New returns a Service and starts its sweeper, which Close stops.
func New(cfg Config, deps Deps) (*Service, error) {
	if deps.Catalog == nil {
		return nil, errors.New("control: nil catalog")
	}
	if cfg.SweepInterval <= 0 {
		cfg.SweepInterval = time.Second
	}
	if cfg.RetentionInterval <= 0 {
		cfg.RetentionInterval = time.Minute
	}
	s := &Service{cfg: cfg, cat: deps.Catalog, media: deps.Media, log: deps.Log, now: deps.Now,
		stop: make(chan struct{}), done: make(chan struct{})}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	go s.sweep()
	return s, nil
}

// Close stops the sweeper and waits for it.
func (s *Service) Close() error {
	close(s.stop)
	<-s.done
	return nil
}

// sweep purges streams whose deletion has run its course, so that their
// names can be reused and they stop counting against the stream limit, and
// applies retention to every stream's media.
func (s *Service) sweep() {
	defer close(s.done)
	t := time.NewTicker(s.cfg.SweepInterval)
	defer t.Stop()
	lastRetention := time.Time{}
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			ctx := context.Background()
			if err := s.purgeDeleted(ctx); err != nil {
				s.log.Warn("purge deleted streams", "err", err)
			}
			if s.media != nil && time.Since(lastRetention) >= s.cfg.RetentionInterval {
				lastRetention = time.Now()
				if err := s.applyRetention(ctx); err != nil {
					s.log.Warn("apply retention", "err", err)
				}
			}
		}
	}
}

// applyRetention deletes, for every stream, the media older than its
// DataRetentionInHours.
func (s *Service) applyRetention(ctx context.Context) error {
	page := store.StreamPage{Limit: 1000}
	for {
		streams, err := s.cat.ListStreams(ctx, page)
		if err != nil {
			return err
		}
		for i, st := range streams {
			if i == page.Limit {
				break
			}
			if err := s.expire(ctx, st); err != nil {
				return err
			}
		}
		if len(streams) <= page.Limit {
			return nil
		}
		page.After = streams[page.Limit-1].Name
	}
}

// expire deletes the stream's media older than its retention.
func (s *Service) expire(ctx context.Context, st store.Stream) error {
	if s.media == nil || st.RetentionHours == 0 || st.Status == store.StatusDeleting {
		return nil
	}
	cutoff := s.now().Add(-time.Duration(st.RetentionHours) * time.Hour)
	n, err := s.media.DeleteBefore(ctx, st.ARN, cutoff)
	if err != nil {
		return fmt.Errorf("expire media of %s: %w", st.Name, err)
	}
	if n > 0 {
		s.log.Info("retention deleted fragments", "stream", st.Name, "fragments", n)
	}
	return nil
}

func (s *Service) purgeDeleted(ctx context.Context) error {
	page := store.StreamPage{Limit: 1000}
	for {
		streams, err := s.cat.ListStreams(ctx, page)
		if err != nil {
			return err
		}
		now := s.now()
		for i, st := range streams {
			if i == page.Limit {
				break
			}
			if st.Gone(now) {
				if err := s.purge(ctx, st); err != nil {
					return err
				}
			}
		}
		if len(streams) <= page.Limit {
			return nil
		}
		page.After = streams[page.Limit-1].Name
	}
}

// purge removes a stream that finished deleting: its media first, so that
// a crash in between leaves a catalog entry that the next sweep purges
// again rather than orphaned media.
func (s *Service) purge(ctx context.Context, st store.Stream) error {
	if s.media != nil {
		if err := s.media.DeleteStream(ctx, st.ARN); err != nil {
			return fmt.Errorf("delete media of %q: %w", st.Name, err)
		}
	}
	if err := s.cat.DeleteStream(ctx, st.Name, st.Revision); err != nil && !errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("purge stream %q: %w", st.Name, err)
	}
	s.log.Info("stream deleted", "stream", st.Name)
	return nil
}

// newVersion returns a fresh random version string, shaped like the
// 20-character alphanumeric versions KVS returns.
func newVersion() string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = chars[int(b[i])%len(chars)]
	}
	return string(b)
}
