package session

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/playback"
	"github.com/openkvs/openkvs/internal/store"
)

func TestSessionToken(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	now := time.Unix(1_800_000_000, 0)
	ss := &Session{ID: "a", API: "hls", Stream: "arn:aws:kinesisvideo:us-east-1:0:stream/s/1", Mode: ModeOnDemand,
		By: store.ByProducerTimestamp, Start: 1, End: 2, Disc: DiscontinuityNever, Max: 5, Expires: now.Add(300 * time.Second).Unix()}
	tok := sign(key, ss)
	require.Regexp(t, `^[A-Za-z0-9_-]+~$`, tok, "URL-safe, KVS-shaped")

	for _, tc := range []struct {
		name string
		key  []byte
		tok  string
		at   time.Time
		ok   bool
	}{
		{"valid", key, tok, now, true},
		{"valid until the last second", key, tok, now.Add(299 * time.Second), true},
		{"expired", key, tok, now.Add(300 * time.Second), false},
		{"other key", []byte("another key"), tok, now, false},
		{"tampered", key, "x" + tok[1:], now, false},
		{"truncated", key, tok[:10], now, false},
		{"empty", key, "", now, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := open(tc.key, tc.tok, tc.at)
			if !tc.ok {
				require.True(t, errors.Is(err, playback.ErrNotAuthorized), "%v", err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, ss, got)
		})
	}
}

func TestSessionLimit(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s, err := New(Config{MaxSessionsPerStream: 2, Now: func() time.Time { return now }}, "hls", playback.NewSource(nil))
	require.NoError(t, err)
	require.NoError(t, s.count("a", "1", now, now.Add(300*time.Second)))
	require.NoError(t, s.count("a", "2", now, now.Add(600*time.Second)))
	require.True(t, errors.Is(s.count("a", "3", now, now.Add(300*time.Second)), playback.ErrClientLimit))
	require.NoError(t, s.count("b", "4", now, now.Add(300*time.Second)), "the limit is per stream")
	// Once the first session expires, its place is free.
	later := now.Add(300 * time.Second)
	require.NoError(t, s.count("a", "5", later, later.Add(300*time.Second)))
	require.True(t, errors.Is(s.count("a", "6", later, later.Add(300*time.Second)), playback.ErrClientLimit))
}

// TestTokenProtocol checks that a token opens only its own protocol's
// resources.
func TestTokenProtocol(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	cfg := Config{Key: []byte("k"), Now: func() time.Time { return now }}
	h, err := New(cfg, "hls", playback.NewSource(nil))
	require.NoError(t, err)
	d, err := New(cfg, "dash", playback.NewSource(nil))
	require.NoError(t, err)
	tok := sign(cfg.Key, &Session{API: "hls", Expires: now.Add(time.Minute).Unix()})
	_, err = h.Open(tok)
	require.NoError(t, err)
	_, err = d.Open(tok)
	require.True(t, errors.Is(err, playback.ErrNotAuthorized), "%v", err)
}
