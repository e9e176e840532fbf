package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	kvtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideo/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/config"
	"github.com/openkvs/openkvs/internal/kvsdtest"
	"github.com/openkvs/openkvs/mkv"
)

// producerStart is the x-amzn-producer-start-timestamp of kvsdtest's
// PutMedia headers; with RELATIVE timecodes, producer timestamps count
// from it.
const producerStart = 1795620729.825

// archivedMedia returns an archived-media client pointed at the stream's
// data endpoint, found with GetDataEndpoint as real applications do.
func archivedMedia(t *testing.T, srv *kvsdtest.Server, stream string, api kvtypes.APIName) *kinesisvideoarchivedmedia.Client {
	t.Helper()
	ep, err := srv.KinesisVideo().GetDataEndpoint(context.Background(), &kinesisvideo.GetDataEndpointInput{
		StreamName: aws.String(stream), APIName: api,
	})
	require.NoError(t, err)
	return kinesisvideoarchivedmedia.NewFromConfig(srv.AWSConfig(), func(o *kinesisvideoarchivedmedia.Options) {
		o.BaseEndpoint = ep.DataEndpoint
	})
}

// ingestFFmpeg makes an H.264 (+AAC) MKV of the given length with ffmpeg,
// PutMedia's it to a new stream and waits for every PERSISTED ack.
func ingestFFmpeg(t *testing.T, srv *kvsdtest.Server, stream string, seconds int, audio bool) {
	t.Helper()
	createStream(t, srv, stream, 1)
	body := ffmpegMKV(t, seconds, "libx264", audio)
	_, timecodes := clusterSplit(t, body)
	requireAllPersisted(t, sendFile(t, srv, stream, "RELATIVE", body, 0), len(timecodes))
}

type probeStream struct {
	CodecType    string `json:"codec_type"`
	CodecName    string `json:"codec_name"`
	NbReadFrames string `json:"nb_read_frames"`
	Duration     string `json:"duration"`
}

type probePacket struct {
	PTSTime      string `json:"pts_time"`
	DTSTime      string `json:"dts_time"`
	DurationTime string `json:"duration_time"`
}

type probeResult struct {
	Streams []probeStream `json:"streams"`
	Format  struct {
		Duration string `json:"duration"`
	} `json:"format"`
	Packets []probePacket `json:"packets"`
}

func (p probeResult) stream(kind string) probeStream {
	for _, s := range p.Streams {
		if s.CodecType == kind {
			return s
		}
	}
	return probeStream{}
}

// ffprobe decodes every frame of target (a file or an http URL) and fails
// the test on any warning ffmpeg prints, such as non-monotonic timestamps.
func ffprobe(t *testing.T, target string, extra ...string) probeResult {
	t.Helper()
	args := append([]string{"-v", "warning", "-count_frames", "-show_entries",
		"stream=codec_type,codec_name,nb_read_frames,duration:format=duration", "-of", "json"}, extra...)
	cmd := exec.Command("ffprobe", append(args, target)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, stderr.String())
	require.Empty(t, stderr.String(), "ffprobe warnings")
	var res probeResult
	require.NoError(t, json.Unmarshal(out, &res), string(out))
	return res
}

// requireVideoPackets checks that every video packet lasts one frame at
// 25 fps and that decode times rise by exactly that much.
func requireVideoPackets(t *testing.T, target string, frames int) {
	t.Helper()
	res := ffprobe(t, target, "-select_streams", "v:0", "-show_entries", "packet=pts_time,dts_time,duration_time")
	require.Len(t, res.Packets, frames)
	prev := math.Inf(-1)
	for i, p := range res.Packets {
		d, err := strconv.ParseFloat(p.DurationTime, 64)
		require.NoError(t, err, "packet %d: %+v", i, p)
		require.InDelta(t, 0.04, d, 0.0005, "packet %d duration", i)
		dts, err := strconv.ParseFloat(p.DTSTime, 64)
		require.NoError(t, err)
		if i > 0 {
			require.InDelta(t, 0.04, dts-prev, 0.0005, "packet %d dts step", i)
		}
		prev = dts
	}
}

func parseFloat(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	require.NoError(t, err, "%q", s)
	return v
}

// TestGetClip ingests 6 s of ffmpeg H.264+AAC, fetches it with the Go
// SDK's GetClip and checks with ffprobe that every video frame decodes,
// each 40 ms long, without a warning.
func TestGetClip(t *testing.T) {
	srv := kvsdtest.Start(t)
	before := time.Now().Add(-time.Second)
	ingestFFmpeg(t, srv, "clip", 6, true)
	after := time.Now().Add(time.Second)
	am := archivedMedia(t, srv, "clip", kvtypes.APINameGetClip)

	for _, tc := range []struct {
		name       string
		by         amtypes.ClipFragmentSelectorType
		start, end time.Time
	}{
		{"server timestamps", amtypes.ClipFragmentSelectorTypeServerTimestamp, before, after},
		{"producer timestamps", amtypes.ClipFragmentSelectorTypeProducerTimestamp,
			time.UnixMilli(int64(producerStart * 1000)), time.UnixMilli(int64(producerStart*1000) + 60_000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := am.GetClip(context.Background(), &kinesisvideoarchivedmedia.GetClipInput{
				StreamName: aws.String("clip"),
				ClipFragmentSelector: &amtypes.ClipFragmentSelector{
					FragmentSelectorType: tc.by,
					TimestampRange:       &amtypes.ClipTimestampRange{StartTimestamp: aws.Time(tc.start), EndTimestamp: aws.Time(tc.end)},
				},
			})
			require.NoError(t, err)
			defer out.Payload.Close()
			require.Equal(t, "video/mp4", aws.ToString(out.ContentType))
			file := filepath.Join(t.TempDir(), "clip.mp4")
			f, err := os.Create(file)
			require.NoError(t, err)
			_, err = io.Copy(f, out.Payload)
			require.NoError(t, err)
			require.NoError(t, f.Close())

			res := ffprobe(t, file)
			v, a := res.stream("video"), res.stream("audio")
			require.Equal(t, "h264", v.CodecName)
			require.Equal(t, "150", v.NbReadFrames, "6 s at 25 fps")
			require.Equal(t, "aac", a.CodecName)
			require.InDelta(t, 6.0, parseFloat(t, v.Duration), 0.001)
			require.InDelta(t, 6.0, parseFloat(t, a.Duration), 0.05)
			requireVideoPackets(t, file, 150)
		})
	}
}

// TestGetClipLimits checks the 200-fragment truncation with a stream of
// short fragments, and the 100 MB truncation through a small configured
// limit would need a config knob; the fragment limit is the KVS quota.
func TestGetClipFragmentLimit(t *testing.T) {
	srv := kvsdtest.Start(t)
	createStream(t, srv, "many", 1)
	// 210 fragments of one frame each, 40 ms apart.
	body := ffmpegMKVArgs(t, "-f", "lavfi", "-i", "testsrc=size=160x120:rate=25:duration=8.4",
		"-c:v", "libx264", "-g", "1", "-pix_fmt", "yuv420p", "-cluster_time_limit", "1", "-f", "matroska")
	_, timecodes := clusterSplit(t, body)
	require.Equal(t, 210, len(timecodes))
	requireAllPersisted(t, sendFile(t, srv, "many", "RELATIVE", body, 0), len(timecodes))
	am := archivedMedia(t, srv, "many", kvtypes.APINameGetClip)
	out, err := am.GetClip(context.Background(), &kinesisvideoarchivedmedia.GetClipInput{
		StreamName: aws.String("many"),
		ClipFragmentSelector: &amtypes.ClipFragmentSelector{
			FragmentSelectorType: amtypes.ClipFragmentSelectorTypeProducerTimestamp,
			TimestampRange: &amtypes.ClipTimestampRange{
				StartTimestamp: aws.Time(time.UnixMilli(int64(producerStart * 1000))),
				EndTimestamp:   aws.Time(time.UnixMilli(int64(producerStart*1000) + 60_000))},
		},
	})
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "clip.mp4")
	b, err := io.ReadAll(out.Payload)
	require.NoError(t, err)
	require.NoError(t, out.Payload.Close())
	require.NoError(t, os.WriteFile(file, b, 0o600))
	res := ffprobe(t, file)
	require.Equal(t, "200", res.stream("video").NbReadFrames, "truncated at 200 fragments")
}

// ffmpegMKVArgs runs ffmpeg with the given arguments and an output file.
func ffmpegMKVArgs(t *testing.T, args ...string) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "in.mkv")
	cmd := exec.Command("ffmpeg", append(append([]string{"-hide_banner", "-loglevel", "error"}, args...), out)...)
	msg, err := cmd.CombinedOutput()
	require.NoError(t, err, string(msg))
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	return b
}

// startErrorStreams starts kvsd with the streams the playback error tests
// need: "ok" (2 s of H.264), "noretention", "empty", and one fragment each
// in streams whose header breaks a track rule: "nocpd", "badcpd" and "vp8".
func startErrorStreams(t *testing.T) *kvsdtest.Server {
	t.Helper()
	srv := kvsdtest.Start(t)
	ingestFFmpeg(t, srv, "ok", 2, false)
	createStream(t, srv, "noretention", 0)
	createStream(t, srv, "empty", 1)
	bad := map[string][]byte{
		"nocpd":  oneTrackBody(t, "V_MPEG4/ISO/AVC", nil),
		"badcpd": oneTrackBody(t, "V_MPEG4/ISO/AVC", []byte{1, 0x64, 0, 0x1e, 0xff, 0xe0, 0}),
		"vp8":    oneTrackBody(t, "V_VP8", []byte{1}),
	}
	for name, body := range bad {
		createStream(t, srv, name, 1)
		requireAllPersisted(t, sendFile(t, srv, name, "ABSOLUTE", body, 0), 1)
	}
	return srv
}

// TestGetClipErrors triggers each documented GetClip error once.
func TestGetClipErrors(t *testing.T) {
	srv := startErrorStreams(t)

	am := srv.ArchivedMedia()
	now := time.Now()
	sel := func(by amtypes.ClipFragmentSelectorType, start, end time.Time) *amtypes.ClipFragmentSelector {
		return &amtypes.ClipFragmentSelector{FragmentSelectorType: by,
			TimestampRange: &amtypes.ClipTimestampRange{StartTimestamp: aws.Time(start), EndTimestamp: aws.Time(end)}}
	}
	server := amtypes.ClipFragmentSelectorTypeServerTimestamp
	producer := amtypes.ClipFragmentSelectorTypeProducerTimestamp
	all := sel(server, now.Add(-time.Hour), now.Add(time.Minute))
	for _, tc := range []struct {
		stream string
		sel    *amtypes.ClipFragmentSelector
		code   string
		status int
	}{
		{"missing", all, "ResourceNotFoundException", 404},
		{"empty", all, "ResourceNotFoundException", 404},
		{"ok", sel(server, now.Add(time.Hour), now.Add(2*time.Hour)), "ResourceNotFoundException", 404},
		{"noretention", all, "NoDataRetentionException", 400},
		{"nocpd", sel(producer, time.Unix(0, 0), time.Unix(3600, 0)), "MissingCodecPrivateDataException", 400},
		{"badcpd", sel(producer, time.Unix(0, 0), time.Unix(3600, 0)), "InvalidCodecPrivateDataException", 400},
		{"vp8", sel(producer, time.Unix(0, 0), time.Unix(3600, 0)), "UnsupportedStreamMediaTypeException", 400},
		{"ok", sel(server, now, now.Add(-time.Minute)), "InvalidArgumentException", 400},
		{"ok", sel(server, now.Add(-25*time.Hour), now), "InvalidArgumentException", 400},
	} {
		t.Run(fmt.Sprintf("%s %s", tc.stream, tc.code), func(t *testing.T) {
			_, err := am.GetClip(context.Background(), &kinesisvideoarchivedmedia.GetClipInput{
				StreamName: aws.String(tc.stream), ClipFragmentSelector: tc.sel})
			requireAPIError(t, err, tc.code, tc.status)
		})
	}
	// The SDK itself refuses a request without a selector.
	r := srv.Post(t, "/getClip", `{"StreamName":"ok"}`)
	require.Equal(t, 400, r.Status)
	require.Equal(t, "InvalidArgumentException", r.Header.Get("x-amzn-ErrorType"))
}

// oneTrackBody is a PutMedia body with one video track of the given codec
// and codec private data, and one 1 s fragment of dummy frames.
func oneTrackBody(t *testing.T, codecID string, cpd []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := mkv.NewWriter(&buf)
	require.NoError(t, w.WriteEBMLHeader(mkv.EBMLHeader{DocType: "matroska", DocTypeVersion: 2, DocTypeReadVersion: 2}))
	require.NoError(t, w.StartSegment(true))
	require.NoError(t, w.WriteInfo(mkv.Info{TimestampScale: 1_000_000}))
	require.NoError(t, w.WriteTracks(mkv.Tracks{Entries: []mkv.TrackEntry{{Number: 1, UID: 1, Type: mkv.TrackTypeVideo,
		CodecID: codecID, CodecPrivate: cpd, Video: &mkv.Video{PixelWidth: 640, PixelHeight: 480}}}}))
	b := buf.Bytes()
	return append(bytes.Clone(b), kvsdtest.NewBody(t).Cluster(0, kvsdtest.Video(25, 100), nil, false).Bytes()[len(kvsdtest.NewBody(t).Bytes()):]...)
}

// hlsURL asks for an HLS session with the Go SDK at the data endpoint.
func hlsURL(t *testing.T, srv *kvsdtest.Server, in *kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput) (string, error) {
	t.Helper()
	am := archivedMedia(t, srv, aws.ToString(in.StreamName), kvtypes.APINameGetHlsStreamingSessionUrl)
	out, err := am.GetHLSStreamingSessionURL(context.Background(), in)
	if err != nil {
		return "", err
	}
	return aws.ToString(out.HLSStreamingSessionURL), nil
}

// get fetches a playback URL without any signature, as a browser would,
// with an Origin header to see the CORS answer.
func get(t *testing.T, url string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	req.Header.Set("Origin", "http://player.example")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, res.Header, string(b)
}

// resolve makes a playlist URI absolute against the playlist's URL.
func resolve(t *testing.T, base, ref string) string {
	t.Helper()
	u, err := url.Parse(base)
	require.NoError(t, err)
	r, err := u.Parse(ref)
	require.NoError(t, err)
	return r.String()
}

func lines(s, prefix string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}

// TestHLSOnDemand plays an ON_DEMAND session with ffprobe over HTTP: every
// ingested video frame decodes, 40 ms each, with audio, without warnings.
func TestHLSOnDemand(t *testing.T) {
	srv := kvsdtest.Start(t)
	ingestFFmpeg(t, srv, "vod", 6, true)
	rng := &amtypes.HLSTimestampRange{StartTimestamp: aws.Time(time.UnixMilli(int64(producerStart * 1000))),
		EndTimestamp: aws.Time(time.UnixMilli(int64(producerStart*1000) + 60_000))}
	master, err := hlsURL(t, srv, &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{
		StreamName:   aws.String("vod"),
		PlaybackMode: amtypes.HLSPlaybackModeOnDemand,
		HLSFragmentSelector: &amtypes.HLSFragmentSelector{FragmentSelectorType: amtypes.HLSFragmentSelectorTypeProducerTimestamp,
			TimestampRange: rng},
		DisplayFragmentTimestamp: amtypes.HLSDisplayFragmentTimestampAlways,
	})
	require.NoError(t, err)
	require.Contains(t, master, "/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=")
	require.True(t, strings.HasSuffix(master, "~"))

	status, hdr, text := get(t, master)
	require.Equal(t, 200, status, text)
	require.Equal(t, "*", hdr.Get("Access-Control-Allow-Origin"))
	require.Equal(t, "application/vnd.apple.mpegurl", hdr.Get("Content-Type"))
	require.Contains(t, text, `CODECS="avc1.`)
	require.Contains(t, text, `mp4a.40.2"`)
	require.Contains(t, text, "RESOLUTION=320x240")
	media := lines(text, "getHLSMediaPlaylist.m3u8")
	require.Len(t, media, 1)
	status, hdr, playlist := get(t, resolve(t, master, media[0]))
	require.Equal(t, 200, status, playlist)
	require.Equal(t, "*", hdr.Get("Access-Control-Allow-Origin"))
	require.True(t, strings.HasPrefix(playlist, "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:"), playlist)
	require.Contains(t, playlist, "#EXT-X-MEDIA-SEQUENCE:0\n")
	require.True(t, strings.HasSuffix(playlist, "#EXT-X-ENDLIST\n"), playlist)
	require.Len(t, lines(playlist, "#EXT-X-MAP:"), 1)
	require.Empty(t, lines(playlist, "#EXT-X-DISCONTINUITY"), "NEVER is the default with producer timestamps")
	segs := lines(playlist, "getMP4MediaFragment.mp4?FragmentNumber=")
	require.NotEmpty(t, segs)
	require.Len(t, lines(playlist, "#EXT-X-PROGRAM-DATE-TIME:2026-11-25T"), len(segs), playlist)
	require.Len(t, lines(playlist, "#EXTINF:"), len(segs))

	// The segments are served unsigned, to whoever holds the token.
	status, hdr, _ = get(t, resolve(t, master, segs[0]))
	require.Equal(t, 200, status)
	require.Equal(t, "video/mp4", hdr.Get("Content-Type"))

	res := ffprobe(t, master)
	require.Equal(t, "150", res.stream("video").NbReadFrames, "6 s at 25 fps")
	require.Equal(t, "aac", res.stream("audio").CodecName)
	requireVideoPackets(t, master, 150)
}

// TestHLSModes checks the playlists of LIVE, LIVE_REPLAY and the
// discontinuity modes.
func TestHLSModes(t *testing.T) {
	srv := kvsdtest.Start(t)
	ingestFFmpeg(t, srv, "live", 8, false)
	playlist := func(in *kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput) string {
		t.Helper()
		in.StreamName = aws.String("live")
		master, err := hlsURL(t, srv, in)
		require.NoError(t, err)
		status, _, text := get(t, master)
		require.Equal(t, 200, status, text)
		status, _, text = get(t, resolve(t, master, lines(text, "getHLSMediaPlaylist.m3u8")[0]))
		require.Equal(t, 200, status, text)
		return text
	}
	t.Run("LIVE", func(t *testing.T) {
		p := playlist(&kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{PlaybackMode: amtypes.HLSPlaybackModeLive})
		require.Len(t, lines(p, "getMP4MediaFragment.mp4"), 5, "the newest 5 by default")
		require.NotContains(t, p, "#EXT-X-ENDLIST")
		require.Contains(t, p, "#EXT-X-MEDIA-SEQUENCE:0\n")
		require.Len(t, lines(p, "#EXT-X-DISCONTINUITY\n"), 0)
		require.Len(t, lines(p, "#EXT-X-DISCONTINUITY"), 5, "ALWAYS is the default with server timestamps")
	})
	t.Run("LIVE max results", func(t *testing.T) {
		p := playlist(&kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{PlaybackMode: amtypes.HLSPlaybackModeLive,
			MaxMediaPlaylistFragmentResults: aws.Int64(2), DiscontinuityMode: amtypes.HLSDiscontinuityModeNever})
		require.Len(t, lines(p, "getMP4MediaFragment.mp4"), 2)
		require.Empty(t, lines(p, "#EXT-X-DISCONTINUITY"))
		require.Empty(t, lines(p, "#EXT-X-PROGRAM-DATE-TIME"))
	})
	t.Run("LIVE_REPLAY paces from the start", func(t *testing.T) {
		p := playlist(&kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{PlaybackMode: amtypes.HLSPlaybackModeLiveReplay,
			HLSFragmentSelector: &amtypes.HLSFragmentSelector{FragmentSelectorType: amtypes.HLSFragmentSelectorTypeProducerTimestamp,
				TimestampRange: &amtypes.HLSTimestampRange{StartTimestamp: aws.Time(time.UnixMilli(int64(producerStart * 1000)))}}})
		require.Len(t, lines(p, "getMP4MediaFragment.mp4"), 1, "only the first fragment is due at once")
		require.NotContains(t, p, "#EXT-X-ENDLIST")
	})
	t.Run("ON_DISCONTINUITY", func(t *testing.T) {
		p := playlist(&kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{PlaybackMode: amtypes.HLSPlaybackModeOnDemand,
			DiscontinuityMode: amtypes.HLSDiscontinuityModeOnDiscontinuity,
			HLSFragmentSelector: &amtypes.HLSFragmentSelector{FragmentSelectorType: amtypes.HLSFragmentSelectorTypeProducerTimestamp,
				TimestampRange: &amtypes.HLSTimestampRange{StartTimestamp: aws.Time(time.UnixMilli(int64(producerStart * 1000))),
					EndTimestamp: aws.Time(time.UnixMilli(int64(producerStart*1000) + 60_000))}}})
		require.Empty(t, lines(p, "#EXT-X-DISCONTINUITY"), "producer timestamps of one upload have no gaps")
		require.Contains(t, p, "#EXT-X-ENDLIST")
	})
}

// TestHLSErrors triggers each documented GetHLSStreamingSessionURL error
// once, and the playback URLs' answers to bad tokens.
func TestHLSErrors(t *testing.T) {
	srv := startErrorStreams(t)
	am := srv.ArchivedMedia()
	producer := func(start, end time.Time) *amtypes.HLSFragmentSelector {
		return &amtypes.HLSFragmentSelector{FragmentSelectorType: amtypes.HLSFragmentSelectorTypeProducerTimestamp,
			TimestampRange: &amtypes.HLSTimestampRange{StartTimestamp: aws.Time(start), EndTimestamp: aws.Time(end)}}
	}
	epoch := producer(time.Unix(0, 0), time.Unix(3600, 0))
	onDemand := amtypes.HLSPlaybackModeOnDemand
	for _, tc := range []struct {
		name   string
		in     kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput
		code   string
		status int
	}{
		{"no stream", kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String("missing")}, "ResourceNotFoundException", 404},
		{"LIVE without fragments", kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String("empty")}, "ResourceNotFoundException", 404},
		{"ON_DEMAND without fragments", kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String("ok"), PlaybackMode: onDemand, HLSFragmentSelector: epoch}, "ResourceNotFoundException", 404},
		{"no retention", kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String("noretention")}, "NoDataRetentionException", 400},
		{"missing CPD", kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String("nocpd"), PlaybackMode: onDemand, HLSFragmentSelector: epoch}, "MissingCodecPrivateDataException", 400},
		{"invalid CPD", kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String("badcpd"), PlaybackMode: onDemand, HLSFragmentSelector: epoch}, "InvalidCodecPrivateDataException", 400},
		{"VP8", kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String("vp8"), PlaybackMode: onDemand, HLSFragmentSelector: epoch}, "UnsupportedStreamMediaTypeException", 400},
		{"ON_DEMAND without range", kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String("ok"), PlaybackMode: onDemand}, "InvalidArgumentException", 400},
		{"LIVE with range", kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String("ok"), HLSFragmentSelector: epoch}, "InvalidArgumentException", 400},
		{"range over 24 h", kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String("ok"), PlaybackMode: onDemand, HLSFragmentSelector: producer(time.Unix(0, 0), time.Unix(90000, 0))}, "InvalidArgumentException", 400},
		{"Expires too short", kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String("ok"), Expires: aws.Int32(299)}, "InvalidArgumentException", 400},
		{"Expires too long", kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String("ok"), Expires: aws.Int32(43201)}, "InvalidArgumentException", 400},
		{"too many results", kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String("ok"), MaxMediaPlaylistFragmentResults: aws.Int64(5001)}, "InvalidArgumentException", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := am.GetHLSStreamingSessionURL(context.Background(), &tc.in)
			requireAPIError(t, err, tc.code, tc.status)
		})
	}

	master, err := hlsURL(t, srv, &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String("ok"), Expires: aws.Int32(300)})
	require.NoError(t, err)
	status, _, _ := get(t, master)
	require.Equal(t, 200, status)
	for name, u := range map[string]string{
		"tampered token": master[:len(master)-5] + "AAAA~",
		"no token":       srv.URL + "/hls/v1/getHLSMasterPlaylist.m3u8",
	} {
		t.Run(name, func(t *testing.T) {
			status, hdr, body := get(t, u)
			require.Equal(t, 401, status, body)
			require.Equal(t, "NotAuthorizedException", hdr.Get("x-amzn-ErrorType"))
			require.Equal(t, "*", hdr.Get("Access-Control-Allow-Origin"))
		})
	}
}

// TestHLSMPEGTS plays an ON_DEMAND MPEG_TS session with ffprobe over HTTP:
// one media playlist of TS segments without EXT-X-MAP, every ingested
// video frame decoded, 40 ms each, with the audio, without warnings.
func TestHLSMPEGTS(t *testing.T) {
	srv := kvsdtest.Start(t)
	ingestFFmpeg(t, srv, "ts", 6, true)
	rng := &amtypes.HLSTimestampRange{StartTimestamp: aws.Time(time.UnixMilli(int64(producerStart * 1000))),
		EndTimestamp: aws.Time(time.UnixMilli(int64(producerStart*1000) + 60_000))}
	in := &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{
		StreamName:      aws.String("ts"),
		PlaybackMode:    amtypes.HLSPlaybackModeOnDemand,
		ContainerFormat: amtypes.ContainerFormatMpegTs,
		HLSFragmentSelector: &amtypes.HLSFragmentSelector{FragmentSelectorType: amtypes.HLSFragmentSelectorTypeProducerTimestamp,
			TimestampRange: rng},
	}
	master, err := hlsURL(t, srv, in)
	require.NoError(t, err)

	status, hdr, text := get(t, master)
	require.Equal(t, 200, status, text)
	require.Equal(t, "*", hdr.Get("Access-Control-Allow-Origin"))
	require.True(t, strings.HasPrefix(text, "#EXTM3U\n#EXT-X-VERSION:3\n"), text)
	require.Contains(t, text, `CODECS="avc1.`)
	require.Contains(t, text, `mp4a.40.2"`)
	require.NotContains(t, text, "#EXT-X-MEDIA:", "TS segments mux the audio")
	media := lines(text, "getHLSMediaPlaylist.m3u8")
	require.Len(t, media, 1)
	require.NotContains(t, media[0], "TrackNumber")
	status, _, playlist := get(t, resolve(t, master, media[0]))
	require.Equal(t, 200, status, playlist)
	require.True(t, strings.HasPrefix(playlist, "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:"), playlist)
	require.True(t, strings.HasSuffix(playlist, "#EXT-X-ENDLIST\n"), playlist)
	require.Empty(t, lines(playlist, "#EXT-X-MAP:"))
	require.Empty(t, lines(playlist, "getMP4"))
	segs := lines(playlist, "getTSFragment.ts?FragmentNumber=")
	require.NotEmpty(t, segs)
	require.Len(t, lines(playlist, "#EXTINF:"), len(segs))
	require.NotContains(t, segs[0], "TrackNumber")

	status, hdr, body := get(t, resolve(t, master, segs[0]))
	require.Equal(t, 200, status, body)
	require.Equal(t, "video/mp2t", hdr.Get("Content-Type"))
	require.Equal(t, "*", hdr.Get("Access-Control-Allow-Origin"))
	require.Zero(t, len(body)%188, "whole TS packets")
	require.Equal(t, byte(0x47), body[0])

	res := ffprobe(t, master)
	require.Equal(t, "150", res.stream("video").NbReadFrames, "6 s at 25 fps")
	require.Equal(t, "aac", res.stream("audio").CodecName)
	requireVideoPackets(t, master, 150)
	requireAudioPackets(t, master)

	// A session is only its own container.
	fmp4 := strings.Replace(resolve(t, master, segs[0]), "getTSFragment.ts", "getMP4MediaFragment.mp4", 1)
	status, hdr, body = get(t, fmp4)
	require.Equal(t, 400, status, body)
	require.Equal(t, "InvalidArgumentException", hdr.Get("x-amzn-ErrorType"))
	in.ContainerFormat = amtypes.ContainerFormatFragmentedMp4
	other, err := hlsURL(t, srv, in)
	require.NoError(t, err)
	token := func(u string) string { return u[strings.Index(u, "SessionToken=")+len("SessionToken="):] }
	status, hdr, body = get(t, resolve(t, master, strings.Replace(segs[0], token(master), token(other), 1)))
	require.Equal(t, 400, status, body)
	require.Equal(t, "InvalidArgumentException", hdr.Get("x-amzn-ErrorType"))
}

// requireAudioPackets checks that the AAC packets of target follow each
// other without a gap or an overlap: 1024 samples at 44.1 kHz each.
func requireAudioPackets(t *testing.T, target string) {
	t.Helper()
	res := ffprobe(t, target, "-select_streams", "a:0", "-show_entries", "packet=pts_time,dts_time,duration_time")
	require.NotEmpty(t, res.Packets)
	prev := math.Inf(-1)
	for i, p := range res.Packets {
		pts := parseFloat(t, p.PTSTime)
		if i > 0 {
			require.InDelta(t, 1024.0/44100, pts-prev, 0.0001, "packet %d pts step", i)
		}
		prev = pts
	}
}

// TestPlaybackSessionLimit: with -playback-sessions-per-stream 2, a third
// unexpired HLS session of a stream is refused with
// ClientLimitExceededException, and DASH sessions count separately.
func TestPlaybackSessionLimit(t *testing.T) {
	srv := kvsdtest.Start(t, func(c *config.Config) { c.PlaybackSessionsPerStream = 2 })
	ingestFFmpeg(t, srv, "limited", 2, false)
	start := time.UnixMilli(int64(producerStart * 1000))
	hlsIn := &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String("limited"),
		PlaybackMode: amtypes.HLSPlaybackModeOnDemand, HLSFragmentSelector: &amtypes.HLSFragmentSelector{
			FragmentSelectorType: amtypes.HLSFragmentSelectorTypeProducerTimestamp,
			TimestampRange:       &amtypes.HLSTimestampRange{StartTimestamp: aws.Time(start), EndTimestamp: aws.Time(start.Add(time.Minute))}}}
	dashIn := &kinesisvideoarchivedmedia.GetDASHStreamingSessionURLInput{StreamName: aws.String("limited"),
		PlaybackMode: amtypes.DASHPlaybackModeOnDemand, DASHFragmentSelector: producerRange(start, time.Minute)}
	for range 2 {
		_, err := hlsURL(t, srv, hlsIn)
		require.NoError(t, err)
	}
	_, err := hlsURL(t, srv, hlsIn)
	var limit *amtypes.ClientLimitExceededException
	require.ErrorAs(t, err, &limit)
	for range 2 {
		_, err := dashURL(t, srv, dashIn)
		require.NoError(t, err)
	}
	_, err = dashURL(t, srv, dashIn)
	require.ErrorAs(t, err, &limit)
}
