package control

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/store"
	"github.com/openkvs/openkvs/internal/store/local"
)

func TestRetentionAndDeletionRemoveMedia(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cat, err := local.OpenCatalog(ctx, dir, local.CatalogOptions{})
	require.NoError(t, err)
	media, err := local.OpenFragments(ctx, dir, local.FragmentsOptions{})
	require.NoError(t, err)
	clk := &clock{t: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
	s, err := New(Config{Region: "us-east-1", AccountID: "111122223333", MaxStreams: 10, SweepInterval: time.Hour},
		Deps{Catalog: cat, Media: media, Now: clk.now})
	require.NoError(t, err)
	defer func() {
		require.NoError(t, s.Close())
		require.NoError(t, media.Close())
		require.NoError(t, cat.Close())
	}()

	arn, err := s.CreateStream(ctx, CreateStreamInput{StreamName: ptr("kept"), DataRetentionInHours: ptr(10)})
	require.NoError(t, err)
	// Fragments received 9, 5 and 1 hours ago.
	for _, age := range []time.Duration{9 * time.Hour, 5 * time.Hour, time.Hour} {
		_, done, err := media.Append(ctx, store.NewFragment{Stream: arn, ServerTimestamp: clk.now().Add(-age),
			ProducerTimestamp: clk.now().Add(-age), Media: []byte("media"), Header: []byte("hdr")})
		require.NoError(t, err)
		require.NoError(t, <-done)
	}
	count := func() int {
		fs, err := media.List(ctx, store.FragmentQuery{Stream: arn})
		require.NoError(t, err)
		return len(fs)
	}
	require.NoError(t, s.applyRetention(ctx))
	require.Equal(t, 3, count(), "all within 10 hours")

	st, err := s.DescribeStream(ctx, StreamRef{Name: ptr("kept")})
	require.NoError(t, err)
	require.NoError(t, s.UpdateDataRetention(ctx, UpdateDataRetentionInput{StreamRef: StreamRef{Name: ptr("kept")},
		CurrentVersion: &st.Version, DataRetentionChangeInHours: ptr(4), Operation: ptr(operationDecrease)}))
	require.Equal(t, 2, count(), "a decrease to 6 hours deletes the 9-hour-old fragment at once")

	clk.add(2 * time.Hour) // now 7h and 3h old
	require.NoError(t, s.applyRetention(ctx))
	require.Equal(t, 1, count())

	require.NoError(t, s.DeleteStream(ctx, &arn, nil))
	clk.add(time.Second)
	require.NoError(t, s.purgeDeleted(ctx))
	require.Equal(t, 0, count(), "a deleted stream's media is removed")
}
