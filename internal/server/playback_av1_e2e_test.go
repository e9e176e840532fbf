package server_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	kvtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideo/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/kvsdtest"
)

// TestPlaybackAV1 ingests 3 s of ffmpeg AV1 (V_AV1 with an av1C
// CodecPrivate) and plays it through HLS fMP4, DASH and GetClip as an
// 'av01' track: ffprobe decodes every frame, 40 ms each, with no
// warnings. MPEG-TS refuses AV1.
func TestPlaybackAV1(t *testing.T) {
	srv := kvsdtest.Start(t)
	const stream, frames = "av1", 75
	createStream(t, srv, stream, 1)
	body := ffmpegMKVArgs(t, "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=3",
		"-c:v", "libaom-av1", "-cpu-used", "8", "-g", "25", "-pix_fmt", "yuv420p", "-f", "matroska")
	_, timecodes := clusterSplit(t, body)
	requireAllPersisted(t, sendFile(t, srv, stream, "RELATIVE", body, 0), len(timecodes))
	start := time.UnixMilli(int64(producerStart * 1000))
	end := start.Add(time.Minute)
	hlsInput := func(format amtypes.ContainerFormat) *kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput {
		return &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{
			StreamName: aws.String(stream), PlaybackMode: amtypes.HLSPlaybackModeOnDemand, ContainerFormat: format,
			HLSFragmentSelector: &amtypes.HLSFragmentSelector{FragmentSelectorType: amtypes.HLSFragmentSelectorTypeProducerTimestamp,
				TimestampRange: &amtypes.HLSTimestampRange{StartTimestamp: aws.Time(start), EndTimestamp: aws.Time(end)}},
		}
	}
	check := func(t *testing.T, target string) {
		t.Helper()
		v := ffprobe(t, target).stream("video")
		require.Equal(t, "av1", v.CodecName)
		require.Equal(t, "75", v.NbReadFrames, "every frame decodes")
		// ffprobe leaves the duration of the first packets of a
		// fragmented AV1 MP4 out (N/A, also for ffmpeg's own -c copy
		// fMP4, while its AV1 parser probes the stream), so those that it
		// reports must be one frame, and decode times step by exactly
		// one frame from 0 to the last.
		res := ffprobe(t, target, "-select_streams", "v:0", "-show_entries", "packet=pts_time,dts_time,duration_time")
		require.Len(t, res.Packets, frames)
		reported := 0
		for i, p := range res.Packets {
			require.Equal(t, p.PTSTime, p.DTSTime, "packet %d: AV1 has no reordering in MP4", i)
			require.InDelta(t, 0.04*float64(i), parseFloat(t, p.DTSTime), 0.0005, "packet %d dts", i)
			if p.DurationTime != "" && p.DurationTime != "N/A" {
				reported++
				require.InDelta(t, 0.04, parseFloat(t, p.DurationTime), 0.0005, "packet %d duration", i)
			}
		}
		require.GreaterOrEqual(t, reported, frames/2, "durations reported")
	}

	t.Run("HLS fMP4", func(t *testing.T) {
		master, err := hlsURL(t, srv, hlsInput(amtypes.ContainerFormatFragmentedMp4))
		require.NoError(t, err)
		status, _, text := get(t, master)
		require.Equal(t, 200, status, text)
		require.Contains(t, text, `CODECS="av01.0.`)
		require.Contains(t, text, "RESOLUTION=320x240")
		check(t, master)
	})
	t.Run("HLS MPEG-TS refuses", func(t *testing.T) {
		_, err := hlsURL(t, srv, hlsInput(amtypes.ContainerFormatMpegTs))
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
		require.Len(t, m.Periods[0].Sets, 1)
		check(t, u)
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
		data, err := io.ReadAll(out.Payload)
		require.NoError(t, err)
		require.True(t, strings.Contains(string(data[:min(len(data), 4096)]), "av1C"), "moov first, with an av1C box")
		file := filepath.Join(t.TempDir(), "clip.mp4")
		require.NoError(t, os.WriteFile(file, data, 0o644))
		check(t, file)
	})
}
