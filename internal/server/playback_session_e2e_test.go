package server_test

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/config"
	"github.com/openkvs/openkvs/internal/kvsdtest"
	"github.com/openkvs/openkvs/internal/server"
)

// TestPlaybackSessionExpiry drives the session clock past Expires: every
// URL of an expired HLS or DASH session answers 401 NotAuthorizedException,
// the expired session stops counting against the per-stream limit, and an
// unexpired URL keeps working across a kvsd restart because the signing
// key lives in the data dir.
func TestPlaybackSessionExpiry(t *testing.T) {
	var ahead atomic.Int64 // how far the playback clock runs ahead of the wall clock
	clock := server.WithPlaybackClock(func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) })
	srv := kvsdtest.StartWith(t, []server.Option{clock}, func(c *config.Config) {
		c.PlaybackSessionsPerStream = 1
		c.ShutdownTimeout = time.Second
	})
	ingestFFmpeg(t, srv, "expiring", 2, false)
	start := time.UnixMilli(int64(producerStart * 1000))
	hlsIn := &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String("expiring"),
		PlaybackMode: amtypes.HLSPlaybackModeOnDemand, Expires: aws.Int32(300),
		HLSFragmentSelector: &amtypes.HLSFragmentSelector{FragmentSelectorType: amtypes.HLSFragmentSelectorTypeProducerTimestamp,
			TimestampRange: &amtypes.HLSTimestampRange{StartTimestamp: aws.Time(start), EndTimestamp: aws.Time(start.Add(time.Minute))}}}
	dashIn := &kinesisvideoarchivedmedia.GetDASHStreamingSessionURLInput{StreamName: aws.String("expiring"),
		PlaybackMode: amtypes.DASHPlaybackModeOnDemand, Expires: aws.Int32(300), DASHFragmentSelector: producerRange(start, time.Minute)}

	master, err := hlsURL(t, srv, hlsIn)
	require.NoError(t, err)
	mpd, err := dashURL(t, srv, dashIn)
	require.NoError(t, err)
	// Every URL a player would fetch, while the session is valid.
	status, _, text := get(t, master)
	require.Equal(t, 200, status, text)
	media := resolve(t, master, lines(text, "getHLSMediaPlaylist.m3u8")[0])
	status, _, playlist := get(t, media)
	require.Equal(t, 200, status, playlist)
	mapLine := lines(playlist, "#EXT-X-MAP:")[0]
	initURL := resolve(t, master, strings.TrimSuffix(strings.TrimPrefix(mapLine, `#EXT-X-MAP:URI="`), `"`))
	segURL := resolve(t, master, lines(playlist, "getMP4MediaFragment.mp4?FragmentNumber=")[0])
	urls := []string{master, media, initURL, segURL, mpd}
	for _, u := range urls {
		status, _, body := get(t, u)
		require.Equal(t, 200, status, "%s: %s", u, body)
	}
	_, err = hlsURL(t, srv, hlsIn)
	var limit *amtypes.ClientLimitExceededException
	require.ErrorAs(t, err, &limit, "the one session allowed per stream is in use")

	// Tokens keep their expiry in whole seconds, so a session lasts between
	// 299 and 300 s: two seconds before Expires it is certainly valid.
	ahead.Store(int64(298 * time.Second))
	status, _, text = get(t, master)
	require.Equal(t, 200, status, "two seconds before Expires: %s", text)

	ahead.Store(int64(301 * time.Second))
	for _, u := range urls {
		status, hdr, body := get(t, u)
		require.Equal(t, 401, status, "%s: %s", u, body)
		require.Equal(t, "NotAuthorizedException", hdr.Get("x-amzn-ErrorType"), u)
		require.Equal(t, "*", hdr.Get("Access-Control-Allow-Origin"), "CORS on errors too")
		require.Contains(t, body, "expired")
	}

	// The expired session no longer holds the stream's only slot.
	fresh, err := hlsURL(t, srv, hlsIn)
	require.NoError(t, err)
	srv.Restart(t)
	status, _, text = get(t, fresh)
	require.Equal(t, 200, status, "a session URL outlives a kvsd restart: %s", text)
	status, _, text = get(t, master)
	require.Equal(t, 401, status, "and an expired one stays expired: %s", text)
}
