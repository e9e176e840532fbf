package server_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	kvtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideo/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/kvsdtest"
	"github.com/openkvs/openkvs/mkv"
)

// audioBlocks counts the blocks of track 2 in an MKV and sums their
// samples: G.711 has one byte per sample, Opus packets are counted by
// frame (each ffmpeg libopus packet is 20 ms).
func audioBlocks(t *testing.T, body []byte) (blocks, bytesTotal int) {
	t.Helper()
	r := mkv.NewReader(bytes.NewReader(body), mkv.ReaderOptions{})
	for {
		kind, err := r.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		require.NoError(t, err)
		if kind == mkv.KindBlock && r.Block().Track == 2 {
			b := r.Block()
			for i := range b.NumFrames() {
				blocks++
				bytesTotal += len(b.Frame(i))
			}
		}
	}
}

// TestPlaybackCodecsBeyondKVS plays H.264 with G.711 A-law, G.711 μ-law
// (A_MS/ACM with a WAVEFORMATEX CodecPrivate, as the KVS producer SDKs and
// ffmpeg write it) and Opus (A_OPUS) audio through HLS fMP4, DASH and
// GetClip, and has ffprobe decode every audio and video frame. MPEG-TS
// refuses them, as it does H.265.
func TestPlaybackCodecsBeyondKVS(t *testing.T) {
	srv := kvsdtest.Start(t)
	const seconds = 4
	for _, tc := range []struct {
		name, ffcodec, probe string
		rate                 int
	}{
		{"alaw", "pcm_alaw", "pcm_alaw", 8000},
		{"ulaw", "pcm_mulaw", "pcm_mulaw", 8000},
		{"opus", "libopus", "opus", 48000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stream := "codec-" + tc.name
			createStream(t, srv, stream, 1)
			body := ffmpegMKVArgs(t, "-f", "lavfi", "-i", fmt.Sprintf("testsrc=size=320x240:rate=25:duration=%d", seconds),
				"-f", "lavfi", "-i", fmt.Sprintf("sine=frequency=440:sample_rate=%d:duration=%d", tc.rate, seconds),
				"-c:v", "libx264", "-g", "25", "-bf", "0", "-pix_fmt", "yuv420p", "-c:a", tc.ffcodec, "-ac", "1",
				// libopus's first packet starts 6.5 ms early (its pre-skip),
				// before the first Cluster; a producer starts the stream
				// at its first frame, as this shift does. (Audio before
				// a session's first fragment has no place on its
				// timeline, which starts at 0.)
				"-avoid_negative_ts", "make_zero", "-f", "matroska")
			blocks, size := audioBlocks(t, body)
			require.Positive(t, blocks)
			_, timecodes := clusterSplit(t, body)
			requireAllPersisted(t, sendFile(t, srv, stream, "RELATIVE", body, 0), len(timecodes))
			start := time.UnixMilli(int64(producerStart * 1000))
			end := start.Add(time.Minute)

			checkAudio := func(t *testing.T, target string, extra ...string) {
				t.Helper()
				res := ffprobe(t, target, append([]string{"-select_streams", "a:0", "-show_entries", "packet=pts_time,dts_time,duration_time"}, extra...)...)
				a := res.stream("audio")
				require.Equal(t, tc.probe, a.CodecName)
				require.Equal(t, strconv.Itoa(blocks), a.NbReadFrames, "every audio frame decodes")
				require.Len(t, res.Packets, blocks)
				if tc.name == "opus" {
					// ffprobe leaves Opus packet durations out of MP4
					// (N/A, also for ffmpeg's own -c copy), so check
					// that libopus's 20 ms packets follow each other; a
					// fragment starts at its first packet's millisecond
					// timestamp, so a boundary may move by up to 1 ms.
					for i := 1; i < len(res.Packets); i++ {
						step := parseFloat(t, res.Packets[i].PTSTime) - parseFloat(t, res.Packets[i-1].PTSTime)
						require.InDelta(t, 0.020, step, 0.0011, "packet %d", i)
					}
					return
				}
				// G.711: a byte per sample, so the packets add up to the
				// stream's length in samples.
				var total float64
				for _, p := range res.Packets {
					total += parseFloat(t, p.DurationTime)
				}
				require.InDelta(t, float64(size)/float64(tc.rate), total, 0.001)
			}

			t.Run("HLS fMP4", func(t *testing.T) {
				master, err := hlsURL(t, srv, &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{
					StreamName: aws.String(stream), PlaybackMode: amtypes.HLSPlaybackModeOnDemand,
					HLSFragmentSelector: &amtypes.HLSFragmentSelector{FragmentSelectorType: amtypes.HLSFragmentSelectorTypeProducerTimestamp,
						TimestampRange: &amtypes.HLSTimestampRange{StartTimestamp: aws.Time(start), EndTimestamp: aws.Time(end)}},
				})
				require.NoError(t, err)
				status, _, text := get(t, master)
				require.Equal(t, 200, status, text)
				require.Contains(t, text, ","+map[string]string{"alaw": "alaw", "ulaw": "ulaw", "opus": "opus"}[tc.name]+`"`)
				res := ffprobe(t, master)
				require.Equal(t, strconv.Itoa(seconds*25), res.stream("video").NbReadFrames)
				checkAudio(t, master)
			})
			t.Run("HLS MPEG-TS refuses", func(t *testing.T) {
				_, err := hlsURL(t, srv, &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{
					StreamName: aws.String(stream), PlaybackMode: amtypes.HLSPlaybackModeOnDemand,
					ContainerFormat: amtypes.ContainerFormatMpegTs,
					HLSFragmentSelector: &amtypes.HLSFragmentSelector{FragmentSelectorType: amtypes.HLSFragmentSelectorTypeProducerTimestamp,
						TimestampRange: &amtypes.HLSTimestampRange{StartTimestamp: aws.Time(start), EndTimestamp: aws.Time(end)}},
				})
				var ue *amtypes.UnsupportedStreamMediaTypeException
				require.ErrorAs(t, err, &ue)
			})
			t.Run("DASH", func(t *testing.T) {
				u, err := dashURL(t, srv, &kinesisvideoarchivedmedia.GetDASHStreamingSessionURLInput{
					StreamName: aws.String(stream), PlaybackMode: amtypes.DASHPlaybackModeOnDemand,
					DASHFragmentSelector: producerRange(start, time.Minute),
				})
				require.NoError(t, err)
				m := getMPD(t, u)
				require.Len(t, m.Periods[0].Sets, 2)
				require.Equal(t, tc.rate, m.Periods[0].Sets[1].Reps[0].AudioSamplingRate)
				checkAudio(t, u)
			})
			t.Run("GetClip", func(t *testing.T) {
				am := archivedMedia(t, srv, stream, kvtypes.APINameGetClip)
				out, err := am.GetClip(context.Background(), &kinesisvideoarchivedmedia.GetClipInput{
					StreamName: aws.String(stream),
					ClipFragmentSelector: &amtypes.ClipFragmentSelector{FragmentSelectorType: amtypes.ClipFragmentSelectorTypeProducerTimestamp,
						TimestampRange: &amtypes.ClipTimestampRange{StartTimestamp: aws.Time(start), EndTimestamp: aws.Time(end)}},
				})
				require.NoError(t, err)
				defer out.Payload.Close()
				file := filepath.Join(t.TempDir(), "clip.mp4")
				data, err := io.ReadAll(out.Payload)
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(file, data, 0o644))
				res := ffprobe(t, file)
				require.Equal(t, strconv.Itoa(seconds*25), res.stream("video").NbReadFrames)
				require.False(t, strings.Contains(res.stream("audio").CodecName, "none"))
				checkAudio(t, file)
			})
		})
	}
}

// TestPlaybackH265 plays H.265 (hvc1) through HLS fMP4, DASH and GetClip
// with ffprobe decoding every frame.
func TestPlaybackH265(t *testing.T) {
	srv := kvsdtest.Start(t)
	createStream(t, srv, "hevc", 1)
	body := ffmpegMKV(t, 4, "libx265", false)
	_, timecodes := clusterSplit(t, body)
	requireAllPersisted(t, sendFile(t, srv, "hevc", "RELATIVE", body, 0), len(timecodes))
	start := time.UnixMilli(int64(producerStart * 1000))
	end := start.Add(time.Minute)

	master, err := hlsURL(t, srv, &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{
		StreamName: aws.String("hevc"), PlaybackMode: amtypes.HLSPlaybackModeOnDemand,
		HLSFragmentSelector: &amtypes.HLSFragmentSelector{FragmentSelectorType: amtypes.HLSFragmentSelectorTypeProducerTimestamp,
			TimestampRange: &amtypes.HLSTimestampRange{StartTimestamp: aws.Time(start), EndTimestamp: aws.Time(end)}},
	})
	require.NoError(t, err)
	res := ffprobe(t, master)
	require.Equal(t, "hevc", res.stream("video").CodecName)
	require.Equal(t, "100", res.stream("video").NbReadFrames)

	u, err := dashURL(t, srv, &kinesisvideoarchivedmedia.GetDASHStreamingSessionURLInput{
		StreamName: aws.String("hevc"), PlaybackMode: amtypes.DASHPlaybackModeOnDemand,
		DASHFragmentSelector: producerRange(start, time.Minute),
	})
	require.NoError(t, err)
	res = ffprobe(t, u)
	require.Equal(t, "100", res.stream("video").NbReadFrames)

	am := archivedMedia(t, srv, "hevc", kvtypes.APINameGetClip)
	out, err := am.GetClip(context.Background(), &kinesisvideoarchivedmedia.GetClipInput{
		StreamName: aws.String("hevc"),
		ClipFragmentSelector: &amtypes.ClipFragmentSelector{FragmentSelectorType: amtypes.ClipFragmentSelectorTypeProducerTimestamp,
			TimestampRange: &amtypes.ClipTimestampRange{StartTimestamp: aws.Time(start), EndTimestamp: aws.Time(end)}},
	})
	require.NoError(t, err)
	defer out.Payload.Close()
	data, err := io.ReadAll(out.Payload)
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "clip.mp4")
	require.NoError(t, os.WriteFile(file, data, 0o644))
	res = ffprobe(t, file)
	require.Equal(t, "100", res.stream("video").NbReadFrames)
}

// TestBrowserOpus plays H.264 with Opus audio through hls.js (fMP4) and
// dash.js in Chromium, which decodes Opus in MP4 through MSE (G.711 it
// does not, so G.711 is checked with ffprobe only).
func TestBrowserOpus(t *testing.T) {
	requireBrowser(t)
	srv := kvsdtest.Start(t)
	page := servePage(t)
	createStream(t, srv, "opus", 1)
	body := ffmpegMKVArgs(t, "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=6",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=6",
		"-c:v", "libx264", "-g", "25", "-bf", "0", "-pix_fmt", "yuv420p", "-c:a", "libopus", "-ac", "2",
		"-avoid_negative_ts", "make_zero", "-f", "matroska")
	_, timecodes := clusterSplit(t, body)
	requireAllPersisted(t, sendFile(t, srv, "opus", "RELATIVE", body, 0), len(timecodes))
	start := time.UnixMilli(int64(producerStart * 1000))
	t.Run("hls.js", func(t *testing.T) {
		u, err := hlsURL(t, srv, &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String("opus"),
			PlaybackMode: amtypes.HLSPlaybackModeOnDemand,
			HLSFragmentSelector: &amtypes.HLSFragmentSelector{FragmentSelectorType: amtypes.HLSFragmentSelectorTypeProducerTimestamp,
				TimestampRange: &amtypes.HLSTimestampRange{StartTimestamp: aws.Time(start), EndTimestamp: aws.Time(start.Add(time.Minute))}}})
		require.NoError(t, err)
		require.Contains(t, play(t, page, "hls", u, 2), `"opus":true`, "Chromium's MSE takes Opus in MP4")
	})
	t.Run("dash.js", func(t *testing.T) {
		u, err := dashURL(t, srv, &kinesisvideoarchivedmedia.GetDASHStreamingSessionURLInput{StreamName: aws.String("opus"),
			PlaybackMode: amtypes.DASHPlaybackModeOnDemand, DASHFragmentSelector: producerRange(start, time.Minute)})
		require.NoError(t, err)
		play(t, page, "dash", u, 2)
	})
}
