package media

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestQuota(t *testing.T) {
	q := newQuota("fragment media", 500)
	now := time.Unix(1000, 0)
	require.NoError(t, q.spend("a", 400, now))
	err := q.spend("a", 200, now)
	require.True(t, errors.Is(err, ErrClientLimit), "600 points in one instant exceed 500/s")
	require.NoError(t, q.spend("b", 500, now), "streams have separate budgets")
	require.NoError(t, q.spend("a", 200, now.Add(200*time.Millisecond)), "100 points came back in 0.2 s")
	require.NoError(t, newQuota("off", -1).spend("a", 1e9, now))
}
