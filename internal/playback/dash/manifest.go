package dash

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/openkvs/openkvs/internal/errkind"
	"github.com/openkvs/openkvs/internal/playback"
	"github.com/openkvs/openkvs/internal/playback/session"
)

// Namespace is the XML namespace of the kvs:fn and kvs:ts attributes.
// KVS's own URI is not published; any URI works for players, which ignore
// attributes of unknown namespaces.
const Namespace = "https://kinesisvideo.amazonaws.com/dash"

// audioBandwidth is the bandwidth announced for an AAC track; the stored
// fragments do not split their size by track.
const audioBandwidth = 128_000

// Manifest writes the session's MPD (GetDASHManifest): static for
// ON_DEMAND and for a LIVE_REPLAY that has ended, dynamic, refreshed every
// second, for LIVE and LIVE_REPLAY.
func (s *Service) Manifest(ctx context.Context, token string, w io.Writer) error {
	ss, err := s.m.Open(token)
	if err != nil {
		return err
	}
	win, err := s.m.Window(ctx, ss)
	if err != nil {
		return err
	}
	if len(win.FS) == 0 {
		return errkind.New(playback.ErrNotFound, "The session has no fragments.")
	}
	h, err := s.header(ctx, ss)
	if err != nil {
		return err
	}
	at := starts(win.All, ss.By)
	var size int64
	for _, f := range win.FS {
		size += f.Size
	}
	shown := at[len(win.All)] - at[win.Seq]
	bandwidth := int64(1_000_000)
	if shown > 0 {
		bandwidth = size * 8 * int64(time.Second) / int64(shown)
	}

	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	fmt.Fprintf(&b, `<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" xmlns:kvs="%s" profiles="urn:mpeg:dash:profile:isoff-live:2011" minBufferTime="PT2S"`, Namespace)
	if win.Ended {
		fmt.Fprintf(&b, ` type="static" mediaPresentationDuration="%s"`, duration(at[len(win.All)]))
	} else {
		now := s.m.Now().UTC()
		fmt.Fprintf(&b, ` type="dynamic" availabilityStartTime="%s" publishTime="%s" minimumUpdatePeriod="PT1S" timeShiftBufferDepth="%s"`,
			time.UnixMilli(ss.AST).UTC().Format(isoTime), now.Format(isoTime), duration(shown))
	}
	b.WriteString(">\n")
	b.WriteString(`  <Period id="0" start="PT0S">` + "\n")
	for ti := range h.Tracks {
		t := &h.Tracks[ti]
		track := ti + 1
		if t.Codec.Video() {
			fmt.Fprintf(&b, `    <AdaptationSet id="%d" contentType="video" mimeType="video/mp4" segmentAlignment="true" startWithSAP="1">`+"\n", track)
			fmt.Fprintf(&b, `      <Representation id="%d" codecs="%s" bandwidth="%d" width="%d" height="%d">`+"\n", track, t.CodecString, bandwidth, t.Width, t.Height)
		} else {
			fmt.Fprintf(&b, `    <AdaptationSet id="%d" contentType="audio" mimeType="audio/mp4" segmentAlignment="true" startWithSAP="1">`+"\n", track)
			fmt.Fprintf(&b, `      <Representation id="%d" codecs="%s" bandwidth="%d" audioSamplingRate="%d">`+"\n", track, t.CodecString, audioBandwidth, t.SampleRate)
			fmt.Fprintf(&b, `        <AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="%d"/>`+"\n", t.Channels)
		}
		fmt.Fprintf(&b, `        <SegmentTemplate timescale="%d" initialization="getMP4InitFragment.mp4?SessionToken=%s&amp;TrackNumber=%d" media="getMP4MediaFragment.mp4?SessionToken=%s&amp;TrackNumber=%d&amp;SegmentNumber=$Number$" startNumber="%d">`+"\n",
			t.Timescale, token, track, token, track, win.Seq+1)
		b.WriteString("          <SegmentTimeline>\n")
		s.timeline(&b, ss, t, win, at)
		b.WriteString("          </SegmentTimeline>\n        </SegmentTemplate>\n      </Representation>\n    </AdaptationSet>\n")
	}
	b.WriteString("  </Period>\n</MPD>\n")
	_, err = io.WriteString(w, b.String())
	return err
}

// timeline writes the S elements of one track: t on the first only, since
// the timeline is continuous, and runs of equal durations folded into r
// unless each S carries its own kvs attributes.
func (s *Service) timeline(b *strings.Builder, ss *session.Session, t *playback.Track, win session.Window, at []time.Duration) {
	perFragment := ss.FN || ss.PDT
	for i := 0; i < len(win.FS); {
		k := win.Seq + i
		start := t.NsTo(at[k].Nanoseconds())
		d := t.NsTo(at[k+1].Nanoseconds()) - start
		r := 0
		for !perFragment && i+r+1 < len(win.FS) {
			n := k + r + 1
			if t.NsTo(at[n+1].Nanoseconds())-t.NsTo(at[n].Nanoseconds()) != d {
				break
			}
			r++
		}
		b.WriteString(`            <S`)
		if i == 0 {
			fmt.Fprintf(b, ` t="%d"`, start)
		}
		fmt.Fprintf(b, ` d="%d"`, d)
		if r > 0 {
			fmt.Fprintf(b, ` r="%d"`, r)
		}
		f := win.FS[i]
		if ss.FN {
			fmt.Fprintf(b, ` kvs:fn="%s"`, session.FormatNumber(f.Number))
		}
		if ss.PDT {
			ts := session.Timestamp(f, ss.By)
			fmt.Fprintf(b, ` kvs:ts="%s"`, strconv.FormatFloat(float64(ts.UnixMilli())/1000, 'f', 3, 64))
		}
		b.WriteString("/>\n")
		i += r + 1
	}
}

const isoTime = "2006-01-02T15:04:05.000Z"

// duration formats an xs:duration in seconds with millisecond precision.
func duration(d time.Duration) string {
	return "PT" + strconv.FormatFloat(float64(d.Milliseconds())/1000, 'f', 3, 64) + "S"
}
