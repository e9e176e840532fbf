package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/kvsdtest"
)

// harness is the browser test harness: play.html, player.js, play.mjs and
// its node_modules (hls.js, dashjs, playwright-core).
const harness = "../../web/playback-test"

// requireBrowser fails, never skips, when the browser or the harness's
// modules are missing: `make deps` installs both, and a skipped player test
// would hide that nothing was played.
func requireBrowser(t *testing.T) {
	t.Helper()
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	_, err := os.Stat(chromium)
	require.NoError(t, err, "Chromium is missing: run `make deps` (Debian package chromium)")
	_, err = exec.LookPath("node")
	require.NoError(t, err, "node is missing: run `make deps` (Debian package nodejs)")
	for _, m := range []string{"playwright-core", "hls.js", "dashjs"} {
		_, err := os.Stat(filepath.Join(harness, "node_modules", m, "package.json"))
		require.NoError(t, err, "%s is missing from %s/node_modules: run `make deps` (npm ci --prefix web/playback-test)", m, harness)
	}
}

// servePage serves the harness directory on 127.0.0.1, another origin than
// kvsd's, so the players also depend on kvsd's CORS answers.
func servePage(t *testing.T) string {
	t.Helper()
	page := httptest.NewServer(http.FileServer(http.Dir(harness)))
	t.Cleanup(page.Close)
	return page.URL + "/play.html"
}

// play runs play.mjs: Chromium loads the page with the session URL and
// must play `seconds` of it without a player error.
func play(t *testing.T, page, kind, session string, seconds int) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	u := page + "?" + url.Values{"kind": {kind}, "src": {session}}.Encode()
	cmd := exec.CommandContext(ctx, "node", filepath.Join(harness, "play.mjs"), u, kind, strconv.Itoa(seconds), "60")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	t.Logf("play.mjs %s: %s", kind, out)
	require.NoError(t, err, "play.mjs %s: %s\nbrowser log:\n%s", kind, out, stderr.String())
	require.Contains(t, string(out), `"ok":true`)
	return string(out)
}

// TestBrowserPlayback plays ON_DEMAND sessions of an ffmpeg-made H.264+AAC
// stream with hls.js (fMP4 and MPEG-TS) and dash.js, and LIVE sessions
// while a producer keeps writing in real time, in Debian's Chromium:
// currentTime must advance and no player error may fire.
func TestBrowserPlayback(t *testing.T) {
	requireBrowser(t)
	srv := kvsdtest.Start(t)
	page := servePage(t)

	t.Run("ON_DEMAND", func(t *testing.T) {
		ingestFFmpeg(t, srv, "vod", 6, true)
		start := time.UnixMilli(int64(producerStart * 1000))
		hlsRange := &amtypes.HLSFragmentSelector{FragmentSelectorType: amtypes.HLSFragmentSelectorTypeProducerTimestamp,
			TimestampRange: &amtypes.HLSTimestampRange{StartTimestamp: aws.Time(start), EndTimestamp: aws.Time(start.Add(time.Minute))}}
		for _, format := range []amtypes.ContainerFormat{amtypes.ContainerFormatFragmentedMp4, amtypes.ContainerFormatMpegTs} {
			t.Run("hls.js "+string(format), func(t *testing.T) {
				u, err := hlsURL(t, srv, &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String("vod"),
					PlaybackMode: amtypes.HLSPlaybackModeOnDemand, HLSFragmentSelector: hlsRange, ContainerFormat: format})
				require.NoError(t, err)
				play(t, page, "hls", u, 2)
			})
		}
		t.Run("dash.js", func(t *testing.T) {
			u, err := dashURL(t, srv, &kinesisvideoarchivedmedia.GetDASHStreamingSessionURLInput{StreamName: aws.String("vod"),
				PlaybackMode: amtypes.DASHPlaybackModeOnDemand, DASHFragmentSelector: producerRange(start, time.Minute)})
			require.NoError(t, err)
			play(t, page, "dash", u, 2)
		})
	})

	// What a user does: upload a file with kvsctl put, then play it.
	t.Run("kvsctl put", func(t *testing.T) {
		mp4 := filepath.Join(t.TempDir(), "upload.mp4")
		out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=6",
			"-f", "lavfi", "-i", "sine=frequency=440:duration=6", "-c:v", "libx264", "-preset", "ultrafast", "-g", "25",
			"-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", mp4).CombinedOutput()
		require.NoError(t, err, string(out))
		put := exec.Command(kvsdtest.BuildKVSCtl(t), "--endpoint-url", srv.URL, "put", "uploaded", mp4, "--fragment-duration", "1s")
		put.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+kvsdtest.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+kvsdtest.SecretAccessKey,
			"AWS_REGION="+kvsdtest.Region, "AWS_CONFIG_FILE="+os.DevNull, "AWS_SHARED_CREDENTIALS_FILE="+os.DevNull)
		out, err = put.CombinedOutput()
		require.NoError(t, err, string(out))
		// put lays the file out to end when the upload starts.
		now := time.Now()
		u, err := hlsURL(t, srv, &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String("uploaded"),
			PlaybackMode: amtypes.HLSPlaybackModeOnDemand, HLSFragmentSelector: &amtypes.HLSFragmentSelector{
				FragmentSelectorType: amtypes.HLSFragmentSelectorTypeProducerTimestamp,
				TimestampRange:       &amtypes.HLSTimestampRange{StartTimestamp: aws.Time(now.Add(-time.Minute)), EndTimestamp: aws.Time(now)}}})
		require.NoError(t, err)
		play(t, page, "hls", u, 2)
		u, err = dashURL(t, srv, &kinesisvideoarchivedmedia.GetDASHStreamingSessionURLInput{StreamName: aws.String("uploaded"),
			PlaybackMode: amtypes.DASHPlaybackModeOnDemand, DASHFragmentSelector: producerRange(now.Add(-time.Minute), time.Minute)})
		require.NoError(t, err)
		play(t, page, "dash", u, 2)
	})

	t.Run("LIVE", func(t *testing.T) {
		stop := produceRealtime(t, srv, "live", 60)
		defer stop()
		t.Run("hls.js", func(t *testing.T) {
			u, err := hlsURL(t, srv, &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String("live"),
				PlaybackMode: amtypes.HLSPlaybackModeLive})
			require.NoError(t, err)
			play(t, page, "hls", u, 3)
		})
		t.Run("dash.js", func(t *testing.T) {
			u, err := dashURL(t, srv, &kinesisvideoarchivedmedia.GetDASHStreamingSessionURLInput{StreamName: aws.String("live"),
				PlaybackMode: amtypes.DASHPlaybackModeLive})
			require.NoError(t, err)
			play(t, page, "dash", u, 3)
		})
	})
}

// produceRealtime creates a stream and PutMedia's an ffmpeg-made H.264+AAC
// stream of the given length into it in real time, one 1 s fragment per
// second, from a goroutine, so that LIVE sessions have a live edge. It
// returns once the first fragment is persisted; stop ends the upload.
func produceRealtime(t *testing.T, srv *kvsdtest.Server, stream string, seconds int) (stop func()) {
	t.Helper()
	createStream(t, srv, stream, 1)
	pieces, timecodes := clusterSplit(t, ffmpegMKV(t, seconds, "libx264", true))
	hdr := kvsdtest.PutMediaHeaders(stream)
	hdr["x-amzn-fragment-timecode-type"] = "RELATIVE"
	conn := srv.PutMedia(t, hdr, pieces[0])
	require.Equal(t, 200, conn.Status, conn.ErrorBody)
	done := make(chan struct{})
	finished := make(chan struct{})
	begin := time.Now()
	go func() {
		defer close(finished)
		defer conn.Close()
		for i, p := range pieces[1:] {
			// Cluster i+1 leaves when its first frame is due; the
			// millisecond timecodes count from the upload's start.
			select {
			case <-done:
				return
			case <-time.After(time.Until(begin.Add(time.Duration(timecodes[i+1]) * time.Millisecond))):
			}
			if conn.TryWrite(p) != nil {
				return
			}
		}
	}()
	persisted := conn.Until(10*time.Second, func(a kvsdtest.Ack) bool { return a.EventType == "PERSISTED" })
	require.NotEmpty(t, persisted)
	require.Equal(t, "PERSISTED", persisted[len(persisted)-1].EventType, "acks: %v", events(persisted))
	go func() {
		for range conn.Acks { // keep the ack stream flowing
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}
