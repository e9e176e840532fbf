package server_test

import (
	"context"
	"encoding/xml"
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
)

// mpd is the part of an MPD the tests check.
type mpd struct {
	XMLName                   xml.Name `xml:"urn:mpeg:dash:schema:mpd:2011 MPD"`
	Type                      string   `xml:"type,attr"`
	Profiles                  string   `xml:"profiles,attr"`
	MediaPresentationDuration string   `xml:"mediaPresentationDuration,attr"`
	AvailabilityStartTime     string   `xml:"availabilityStartTime,attr"`
	MinimumUpdatePeriod       string   `xml:"minimumUpdatePeriod,attr"`
	Periods                   []struct {
		Start string `xml:"start,attr"`
		Sets  []struct {
			ContentType string `xml:"contentType,attr"`
			MimeType    string `xml:"mimeType,attr"`
			Reps        []struct {
				ID                string `xml:"id,attr"`
				Codecs            string `xml:"codecs,attr"`
				Bandwidth         int    `xml:"bandwidth,attr"`
				Width             int    `xml:"width,attr"`
				Height            int    `xml:"height,attr"`
				AudioSamplingRate int    `xml:"audioSamplingRate,attr"`
				Template          struct {
					Timescale      int    `xml:"timescale,attr"`
					Initialization string `xml:"initialization,attr"`
					Media          string `xml:"media,attr"`
					StartNumber    int    `xml:"startNumber,attr"`
					S              []struct {
						T  *int64 `xml:"t,attr"`
						D  int64  `xml:"d,attr"`
						R  int    `xml:"r,attr"`
						FN string `xml:"https://kinesisvideo.amazonaws.com/dash fn,attr"`
						TS string `xml:"https://kinesisvideo.amazonaws.com/dash ts,attr"`
					} `xml:"SegmentTimeline>S"`
				} `xml:"SegmentTemplate"`
			} `xml:"Representation"`
		} `xml:"AdaptationSet"`
	} `xml:"Period"`
}

func dashURL(t *testing.T, srv *kvsdtest.Server, in *kinesisvideoarchivedmedia.GetDASHStreamingSessionURLInput) (string, error) {
	t.Helper()
	am := archivedMedia(t, srv, aws.ToString(in.StreamName), kvtypes.APINameGetDashStreamingSessionUrl)
	out, err := am.GetDASHStreamingSessionURL(context.Background(), in)
	if err != nil {
		return "", err
	}
	return aws.ToString(out.DASHStreamingSessionURL), nil
}

func getMPD(t *testing.T, u string) mpd {
	t.Helper()
	status, hdr, text := get(t, u)
	require.Equal(t, 200, status, text)
	require.Equal(t, "application/dash+xml", hdr.Get("Content-Type"))
	require.Equal(t, "*", hdr.Get("Access-Control-Allow-Origin"))
	var m mpd
	require.NoError(t, xml.Unmarshal([]byte(text), &m), text)
	return m
}

func producerRange(start time.Time, d time.Duration) *amtypes.DASHFragmentSelector {
	return &amtypes.DASHFragmentSelector{FragmentSelectorType: amtypes.DASHFragmentSelectorTypeProducerTimestamp,
		TimestampRange: &amtypes.DASHTimestampRange{StartTimestamp: aws.Time(start), EndTimestamp: aws.Time(start.Add(d))}}
}

// TestDASHOnDemand checks an ON_DEMAND MPD element by element and plays
// it with ffprobe over HTTP: every ingested video frame decodes, 40 ms
// each, with the audio, without warnings.
func TestDASHOnDemand(t *testing.T) {
	srv := kvsdtest.Start(t)
	ingestFFmpeg(t, srv, "vod", 6, true)
	start := time.UnixMilli(int64(producerStart * 1000))
	u, err := dashURL(t, srv, &kinesisvideoarchivedmedia.GetDASHStreamingSessionURLInput{
		StreamName: aws.String("vod"), PlaybackMode: amtypes.DASHPlaybackModeOnDemand,
		DASHFragmentSelector:     producerRange(start, time.Minute),
		DisplayFragmentNumber:    amtypes.DASHDisplayFragmentNumberAlways,
		DisplayFragmentTimestamp: amtypes.DASHDisplayFragmentTimestampAlways,
	})
	require.NoError(t, err)
	require.Contains(t, u, "/dash/v1/getDASHManifest.mpd?SessionToken=")
	require.True(t, strings.HasSuffix(u, "~"))

	m := getMPD(t, u)
	require.Equal(t, "static", m.Type)
	require.Equal(t, "urn:mpeg:dash:profile:isoff-live:2011", m.Profiles)
	require.Len(t, m.Periods, 1)
	require.Equal(t, "PT0S", m.Periods[0].Start)
	sets := m.Periods[0].Sets
	require.Len(t, sets, 2)
	require.Equal(t, "video", sets[0].ContentType)
	require.Equal(t, "video/mp4", sets[0].MimeType)
	require.Equal(t, "audio", sets[1].ContentType)
	video, audio := sets[0].Reps[0], sets[1].Reps[0]
	require.True(t, strings.HasPrefix(video.Codecs, "avc1."), video.Codecs)
	require.Equal(t, 320, video.Width)
	require.Equal(t, 240, video.Height)
	require.Positive(t, video.Bandwidth)
	require.Equal(t, "mp4a.40.2", audio.Codecs)
	require.Equal(t, 90000, video.Template.Timescale)
	require.Equal(t, audio.AudioSamplingRate, audio.Template.Timescale)
	require.Equal(t, 1, video.Template.StartNumber)
	require.Contains(t, video.Template.Media, "getMP4MediaFragment.mp4?SessionToken=")
	require.Contains(t, video.Template.Media, "&TrackNumber=1&SegmentNumber=$Number$")
	require.Contains(t, audio.Template.Initialization, "getMP4InitFragment.mp4?SessionToken=")
	require.Contains(t, audio.Template.Initialization, "&TrackNumber=2")

	// The timeline is continuous and adds up to the presentation: 6 s
	// (the last fragment lasts its FragmentLengthInMilliseconds, which
	// ingest estimates within a frame).
	ss := video.Template.S
	require.NotEmpty(t, ss)
	require.NotNil(t, ss[0].T)
	require.Zero(t, *ss[0].T)
	var total int64
	for i, s := range ss {
		require.Zero(t, s.R, "each S carries its own kvs attributes")
		if i > 0 {
			require.Nil(t, s.T, "continuous: no t after the first")
		}
		require.Len(t, s.FN, 47, "kvs:fn is the fragment number")
		ts, err := strconv.ParseFloat(s.TS, 64)
		require.NoError(t, err, "kvs:ts")
		require.InDelta(t, producerStart, ts, 7)
		total += s.D
	}
	require.InDelta(t, 6*90000, total, 0.04*90000)
	require.True(t, strings.HasPrefix(m.MediaPresentationDuration, "PT6.0"), m.MediaPresentationDuration)

	status, hdr, _ := get(t, resolve(t, u, strings.ReplaceAll(video.Template.Media, "$Number$", "1")))
	require.Equal(t, 200, status)
	require.Equal(t, "video/mp4", hdr.Get("Content-Type"))
	status, _, _ = get(t, resolve(t, u, strings.ReplaceAll(video.Template.Media, "$Number$", strconv.Itoa(len(ss)+1))))
	require.Equal(t, 404, status, "past the session's last segment")

	// ffmpeg's DASH demuxer stops at the first stream's end, so the
	// video is counted on its own: the audio ends a frame earlier.
	res := ffprobe(t, u)
	require.Equal(t, "h264", res.stream("video").CodecName)
	require.Equal(t, "aac", res.stream("audio").CodecName)
	res = ffprobe(t, u, "-select_streams", "v:0")
	require.Equal(t, "150", res.stream("video").NbReadFrames, "6 s at 25 fps")
	requireVideoPackets(t, u, 150)
}

// TestDASHLive checks the dynamic MPD of LIVE and LIVE_REPLAY sessions.
func TestDASHLive(t *testing.T) {
	srv := kvsdtest.Start(t)
	ingestFFmpeg(t, srv, "live", 8, false)
	t.Run("LIVE", func(t *testing.T) {
		u, err := dashURL(t, srv, &kinesisvideoarchivedmedia.GetDASHStreamingSessionURLInput{StreamName: aws.String("live"),
			MaxManifestFragmentResults: aws.Int64(3)})
		require.NoError(t, err)
		m := getMPD(t, u)
		require.Equal(t, "dynamic", m.Type)
		require.Equal(t, "PT1S", m.MinimumUpdatePeriod)
		ast, err := time.Parse(time.RFC3339, m.AvailabilityStartTime)
		require.NoError(t, err)
		require.WithinDuration(t, time.Now(), ast, 30*time.Second)
		tpl := m.Periods[0].Sets[0].Reps[0].Template
		n := 0
		for _, s := range tpl.S {
			n += 1 + s.R
			require.Empty(t, s.FN, "DisplayFragmentNumber defaults to NEVER")
		}
		require.Equal(t, 3, n, "the newest MaxManifestFragmentResults")
		status, _, _ := get(t, resolve(t, u, strings.ReplaceAll(tpl.Media, "$Number$", strconv.Itoa(tpl.StartNumber))))
		require.Equal(t, 200, status)
		status, hdr, _ := get(t, resolve(t, u, tpl.Initialization))
		require.Equal(t, 200, status)
		require.Equal(t, "video/mp4", hdr.Get("Content-Type"))
		status, _, _ = get(t, resolve(t, u, strings.ReplaceAll(tpl.Media, "$Number$", strconv.Itoa(tpl.StartNumber-1))))
		require.Equal(t, 404, status, "a LIVE session starts with the fragments of its first manifest")
		require.Equal(t, 1, tpl.StartNumber)
	})
	t.Run("LIVE_REPLAY", func(t *testing.T) {
		u, err := dashURL(t, srv, &kinesisvideoarchivedmedia.GetDASHStreamingSessionURLInput{StreamName: aws.String("live"),
			PlaybackMode: amtypes.DASHPlaybackModeLiveReplay,
			DASHFragmentSelector: &amtypes.DASHFragmentSelector{FragmentSelectorType: amtypes.DASHFragmentSelectorTypeProducerTimestamp,
				TimestampRange: &amtypes.DASHTimestampRange{StartTimestamp: aws.Time(time.UnixMilli(int64(producerStart * 1000)))}}})
		require.NoError(t, err)
		m := getMPD(t, u)
		require.Equal(t, "dynamic", m.Type)
		s := m.Periods[0].Sets[0].Reps[0].Template.S
		require.Len(t, s, 1, "only the first fragment is due at once")
		require.Zero(t, s[0].R)
	})
}

// TestDASHErrors triggers each documented GetDASHStreamingSessionURL
// error once, and the playback URLs' answers to bad and foreign tokens.
func TestDASHErrors(t *testing.T) {
	srv := startErrorStreams(t)
	am := srv.ArchivedMedia()
	epoch := producerRange(time.Unix(0, 0), time.Hour)
	onDemand := amtypes.DASHPlaybackModeOnDemand
	type in = kinesisvideoarchivedmedia.GetDASHStreamingSessionURLInput
	for _, tc := range []struct {
		name   string
		in     in
		code   string
		status int
	}{
		{"no stream", in{StreamName: aws.String("missing")}, "ResourceNotFoundException", 404},
		{"LIVE without fragments", in{StreamName: aws.String("empty")}, "ResourceNotFoundException", 404},
		{"ON_DEMAND without fragments", in{StreamName: aws.String("ok"), PlaybackMode: onDemand, DASHFragmentSelector: epoch}, "ResourceNotFoundException", 404},
		{"no retention", in{StreamName: aws.String("noretention")}, "NoDataRetentionException", 400},
		{"missing CPD", in{StreamName: aws.String("nocpd"), PlaybackMode: onDemand, DASHFragmentSelector: epoch}, "MissingCodecPrivateDataException", 400},
		{"invalid CPD", in{StreamName: aws.String("badcpd"), PlaybackMode: onDemand, DASHFragmentSelector: epoch}, "InvalidCodecPrivateDataException", 400},
		{"VP8", in{StreamName: aws.String("vp8"), PlaybackMode: onDemand, DASHFragmentSelector: epoch}, "UnsupportedStreamMediaTypeException", 400},
		{"ON_DEMAND without range", in{StreamName: aws.String("ok"), PlaybackMode: onDemand}, "InvalidArgumentException", 400},
		{"LIVE_REPLAY without start", in{StreamName: aws.String("ok"), PlaybackMode: amtypes.DASHPlaybackModeLiveReplay}, "InvalidArgumentException", 400},
		{"LIVE with range", in{StreamName: aws.String("ok"), DASHFragmentSelector: epoch}, "InvalidArgumentException", 400},
		{"range over 24 h", in{StreamName: aws.String("ok"), PlaybackMode: onDemand, DASHFragmentSelector: producerRange(time.Unix(0, 0), 25*time.Hour)}, "InvalidArgumentException", 400},
		{"end before start", in{StreamName: aws.String("ok"), PlaybackMode: onDemand, DASHFragmentSelector: producerRange(time.Unix(3600, 0), -time.Minute)}, "InvalidArgumentException", 400},
		{"Expires too short", in{StreamName: aws.String("ok"), Expires: aws.Int32(299)}, "InvalidArgumentException", 400},
		{"Expires too long", in{StreamName: aws.String("ok"), Expires: aws.Int32(43201)}, "InvalidArgumentException", 400},
		{"too many results", in{StreamName: aws.String("ok"), MaxManifestFragmentResults: aws.Int64(5001)}, "InvalidArgumentException", 400},
		{"zero results", in{StreamName: aws.String("ok"), MaxManifestFragmentResults: aws.Int64(0)}, "InvalidArgumentException", 400},
		{"bad DisplayFragmentNumber", in{StreamName: aws.String("ok"), DisplayFragmentNumber: "SOMETIMES"}, "InvalidArgumentException", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := am.GetDASHStreamingSessionURL(context.Background(), &tc.in)
			requireAPIError(t, err, tc.code, tc.status)
		})
	}

	u, err := dashURL(t, srv, &in{StreamName: aws.String("ok")})
	require.NoError(t, err)
	hlsMaster, err := hlsURL(t, srv, &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String("ok")})
	require.NoError(t, err)
	hlsToken := hlsMaster[strings.Index(hlsMaster, "SessionToken=")+len("SessionToken="):]
	for name, target := range map[string]string{
		"tampered token": u[:len(u)-5] + "AAAA~",
		"no token":       srv.URL + "/dash/v1/getDASHManifest.mpd",
		"HLS token":      srv.URL + "/dash/v1/getDASHManifest.mpd?SessionToken=" + hlsToken,
	} {
		t.Run(name, func(t *testing.T) {
			status, hdr, body := get(t, target)
			require.Equal(t, 401, status, body)
			require.Equal(t, "NotAuthorizedException", hdr.Get("x-amzn-ErrorType"))
			require.Equal(t, "*", hdr.Get("Access-Control-Allow-Origin"))
		})
	}
}
