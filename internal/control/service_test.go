package control

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/openkvs/openkvs/internal/store"
	"github.com/openkvs/openkvs/internal/store/local"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newService(t *testing.T, cfg Config) (*Service, *clock) {
	t.Helper()
	cat, err := local.OpenCatalog(context.Background(), t.TempDir(), local.CatalogOptions{})
	require.NoError(t, err)
	clk := &clock{t: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
	if cfg.Region == "" {
		cfg.Region, cfg.AccountID, cfg.MaxStreams = "us-east-1", "111122223333", 100
	}
	s, err := New(cfg, Deps{Catalog: cat, Now: clk.now})
	require.NoError(t, err)
	t.Cleanup(func() {
		require.NoError(t, s.Close())
		require.NoError(t, cat.Close())
	})
	return s, clk
}

func ptr[T any](v T) *T { return &v }

func TestStatusFollowsTheClock(t *testing.T) {
	ctx := context.Background()
	s, clk := newService(t, Config{Region: "eu-west-1", AccountID: "111122223333", MaxStreams: 10, TransitionDelay: 2 * time.Second, SweepInterval: time.Hour})
	arn, err := s.CreateStream(ctx, CreateStreamInput{StreamName: ptr("a")})
	require.NoError(t, err)
	require.Equal(t, fmt.Sprintf("arn:aws:kinesisvideo:eu-west-1:111122223333:stream/a/%d", clk.now().UnixMilli()), arn)

	st, err := s.DescribeStream(ctx, StreamRef{Name: ptr("a")})
	require.NoError(t, err)
	require.Equal(t, store.StatusCreating, st.Status)
	clk.add(2 * time.Second)
	st, err = s.DescribeStream(ctx, StreamRef{ARN: &arn})
	require.NoError(t, err)
	require.Equal(t, store.StatusActive, st.Status)

	require.NoError(t, s.DeleteStream(ctx, &arn, nil))
	st, err = s.DescribeStream(ctx, StreamRef{Name: ptr("a")})
	require.NoError(t, err)
	require.Equal(t, store.StatusDeleting, st.Status)
	clk.add(2 * time.Second)
	_, err = s.DescribeStream(ctx, StreamRef{Name: ptr("a")})
	require.ErrorIs(t, err, ErrNotFound)

	// The gone stream is purged by the sweep, and its name is free again.
	require.NoError(t, s.purgeDeleted(ctx))
	n, err := s.cat.CountStreams(ctx)
	require.NoError(t, err)
	require.Zero(t, n)
}

func TestListTokens(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t, Config{})
	for i := range 5 {
		_, err := s.CreateStream(ctx, CreateStreamInput{StreamName: ptr(fmt.Sprintf("s%d", i))})
		require.NoError(t, err)
	}
	var names []string
	var tok *string
	for pages := 0; ; pages++ {
		require.Less(t, pages, 5)
		page, next, err := s.ListStreams(ctx, ListStreamsInput{MaxResults: ptr(2), NextToken: tok})
		require.NoError(t, err)
		for _, st := range page {
			names = append(names, st.Name)
		}
		if next == "" {
			break
		}
		require.Regexp(t, `^[a-zA-Z0-9+/=]+$`, next)
		tok = &next
	}
	require.Equal(t, []string{"s0", "s1", "s2", "s3", "s4"}, names)

	_, _, err := s.ListStreams(ctx, ListStreamsInput{NextToken: ptr("aGFzIHNwYWNl")}) // "has space"
	require.ErrorIs(t, err, ErrInvalidArgument)
}

func TestConcurrentCreateOnlyOneWins(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t, Config{})
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.CreateStream(ctx, CreateStreamInput{StreamName: ptr("race")})
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
		} else {
			require.True(t, errors.Is(err, ErrInUse), err)
		}
	}
	require.Equal(t, 1, won)
}

func TestSweeperStopsOnClose(t *testing.T) {
	cat, err := local.OpenCatalog(context.Background(), t.TempDir(), local.CatalogOptions{})
	require.NoError(t, err)
	defer cat.Close()
	s, err := New(Config{Region: "us-east-1", AccountID: "111122223333", MaxStreams: 1, SweepInterval: time.Millisecond}, Deps{Catalog: cat})
	require.NoError(t, err)
	time.Sleep(5 * time.Millisecond)
	require.NoError(t, s.Close()) // goleak in TestMain checks the goroutine is gone
}
