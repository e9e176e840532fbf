package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/store"
)

// NewCatalog opens a fresh, empty catalog. Reopen, when not nil, closes the
// given catalog and opens the same data again, so durability can be checked.
type NewCatalog struct {
	Open   func(t *testing.T) store.Catalog
	Reopen func(t *testing.T, c store.Catalog) store.Catalog
}

func stream(name string) store.Stream {
	created := time.UnixMilli(1_700_000_000_123)
	return store.Stream{
		Name:           name,
		ARN:            fmt.Sprintf("arn:aws:kinesisvideo:us-east-1:000000000000:stream/%s/%d", name, created.UnixMilli()),
		MediaType:      "video/h264",
		RetentionHours: 24,
		Status:         store.StatusCreating,
		StatusUntil:    created.Add(time.Second),
		Version:        "v1",
		CreatedAt:      created,
		StorageTier:    "HOT",
		Tags:           map[string]string{"team": "video"},
	}
}

// RunCatalog runs the catalog conformance suite.
func RunCatalog(t *testing.T, nc NewCatalog) {
	ctx := context.Background()

	t.Run("CreateGet", func(t *testing.T) {
		c := nc.Open(t)
		want := stream("cam-1")
		require.NoError(t, c.CreateStream(ctx, want))
		got, err := c.GetStream(ctx, "cam-1")
		require.NoError(t, err)
		want.Revision = 1
		require.True(t, want.CreatedAt.Equal(got.CreatedAt))
		require.True(t, want.StatusUntil.Equal(got.StatusUntil))
		got.CreatedAt, got.StatusUntil = want.CreatedAt, want.StatusUntil
		require.Equal(t, want, got)
		require.ErrorIs(t, c.CreateStream(ctx, stream("cam-1")), store.ErrAlreadyExists)
		_, err = c.GetStream(ctx, "missing")
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("ReturnedCopiesAreIndependent", func(t *testing.T) {
		c := nc.Open(t)
		require.NoError(t, c.CreateStream(ctx, stream("a")))
		got, err := c.GetStream(ctx, "a")
		require.NoError(t, err)
		got.Tags["team"] = "changed"
		again, err := c.GetStream(ctx, "a")
		require.NoError(t, err)
		require.Equal(t, "video", again.Tags["team"])
	})

	t.Run("ListPagesAndPrefix", func(t *testing.T) {
		c := nc.Open(t)
		for _, n := range []string{"b-2", "a-1", "b-1", "c", "b-3"} {
			require.NoError(t, c.CreateStream(ctx, stream(n)))
		}
		names := func(ss []store.Stream) []string {
			var out []string
			for _, s := range ss {
				out = append(out, s.Name)
			}
			return out
		}
		all, err := c.ListStreams(ctx, store.StreamPage{Limit: 100})
		require.NoError(t, err)
		require.Equal(t, []string{"a-1", "b-1", "b-2", "b-3", "c"}, names(all))

		page, err := c.ListStreams(ctx, store.StreamPage{Limit: 2})
		require.NoError(t, err)
		require.Equal(t, []string{"a-1", "b-1", "b-2"}, names(page), "limit+1 rows tell the caller more follow")

		page, err = c.ListStreams(ctx, store.StreamPage{Limit: 2, After: "b-1"})
		require.NoError(t, err)
		require.Equal(t, []string{"b-2", "b-3", "c"}, names(page))

		page, err = c.ListStreams(ctx, store.StreamPage{Limit: 10, Prefix: "b-"})
		require.NoError(t, err)
		require.Equal(t, []string{"b-1", "b-2", "b-3"}, names(page))

		page, err = c.ListStreams(ctx, store.StreamPage{Limit: 10, Prefix: "b-", After: "b-2"})
		require.NoError(t, err)
		require.Equal(t, []string{"b-3"}, names(page))

		page, err = c.ListStreams(ctx, store.StreamPage{Limit: 10, Prefix: "zz"})
		require.NoError(t, err)
		require.Empty(t, page)

		for _, s := range all {
			require.Nil(t, s.Tags, "listing leaves tags out")
		}

		n, err := c.CountStreams(ctx)
		require.NoError(t, err)
		require.Equal(t, 5, n)
	})

	t.Run("UpdateCompareAndSwap", func(t *testing.T) {
		c := nc.Open(t)
		require.NoError(t, c.CreateStream(ctx, stream("s")))
		s, err := c.GetStream(ctx, "s")
		require.NoError(t, err)
		s.Version = "v2"
		s.Tags["k"] = "v"
		updated, err := c.UpdateStream(ctx, s)
		require.NoError(t, err)
		require.Equal(t, s.Revision+1, updated.Revision)

		_, err = c.UpdateStream(ctx, s) // stale revision
		require.ErrorIs(t, err, store.ErrConflict)

		missing := stream("nope")
		_, err = c.UpdateStream(ctx, missing)
		require.ErrorIs(t, err, store.ErrNotFound)

		got, err := c.GetStream(ctx, "s")
		require.NoError(t, err)
		require.Equal(t, "v2", got.Version)
		require.Equal(t, "v", got.Tags["k"])
	})

	t.Run("Delete", func(t *testing.T) {
		c := nc.Open(t)
		require.NoError(t, c.CreateStream(ctx, stream("d")))
		require.ErrorIs(t, c.DeleteStream(ctx, "d", 99), store.ErrConflict)
		require.NoError(t, c.DeleteStream(ctx, "d", 1))
		_, err := c.GetStream(ctx, "d")
		require.ErrorIs(t, err, store.ErrNotFound)
		require.ErrorIs(t, c.DeleteStream(ctx, "d", 1), store.ErrNotFound)
		require.NoError(t, c.CreateStream(ctx, stream("d")), "a deleted name can be reused")
	})

	if nc.Reopen != nil {
		t.Run("SurvivesReopen", func(t *testing.T) {
			c := nc.Open(t)
			require.NoError(t, c.CreateStream(ctx, stream("keep")))
			require.NoError(t, c.CreateStream(ctx, stream("drop")))
			s, err := c.GetStream(ctx, "keep")
			require.NoError(t, err)
			s.Version = "v9"
			s.Tags = map[string]string{"x": "y"}
			_, err = c.UpdateStream(ctx, s)
			require.NoError(t, err)
			require.NoError(t, c.DeleteStream(ctx, "drop", 1))

			c = nc.Reopen(t, c)
			got, err := c.GetStream(ctx, "keep")
			require.NoError(t, err)
			require.Equal(t, "v9", got.Version)
			require.Equal(t, map[string]string{"x": "y"}, got.Tags)
			require.Equal(t, int64(2), got.Revision)
			_, err = c.GetStream(ctx, "drop")
			require.ErrorIs(t, err, store.ErrNotFound)
		})
	}
}
