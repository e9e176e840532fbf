package hls

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/openkvs/openkvs/internal/errkind"
	"github.com/openkvs/openkvs/internal/playback"
	"github.com/openkvs/openkvs/internal/playback/session"
	"github.com/openkvs/openkvs/internal/store"
)

// MasterPlaylist writes the master playlist (GetHLSMasterPlaylist): one
// variant with the video media playlist, and the audio track, if any, as a
// rendition.
func (s *Service) MasterPlaylist(ctx context.Context, token string, w io.Writer) error {
	ss, err := s.m.Open(token)
	if err != nil {
		return err
	}
	win, err := s.m.Window(ctx, ss)
	if err != nil {
		return err
	}
	if len(win.FS) == 0 {
		// LIVE_REPLAY before its first fragment is due: use the first.
		fs, err := s.src.Store().List(ctx, store.FragmentQuery{Stream: ss.Stream, AfterNumber: ss.After, By: ss.By,
			Start: time.UnixMilli(ss.Start), Limit: 1})
		if err != nil || len(fs) == 0 {
			return errkind.New(playback.ErrNotFound, "The session has no fragments.")
		}
		win.FS = fs
	}
	h, err := s.src.Header(ctx, win.FS[0])
	if err != nil {
		return err
	}
	if err := session.CheckTracks(h, playback.APIHLS, ss.TS); err != nil {
		return err
	}
	var size int64
	var dur time.Duration
	for _, f := range win.FS {
		size += f.Size
		dur += f.Duration
	}
	bandwidth := int64(1_000_000)
	if dur > 0 {
		bandwidth = size * 8 * int64(time.Second) / int64(dur)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "#EXTM3U\n#EXT-X-VERSION:%d\n#EXT-X-INDEPENDENT-SEGMENTS\n", version(ss))
	codecs := h.Tracks[0].CodecString
	audio := ""
	if len(h.Tracks) == 2 {
		codecs += "," + h.Tracks[1].CodecString
		if !ss.TS {
			audio = `,AUDIO="audio"`
			fmt.Fprintf(&b, "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"audio\",DEFAULT=YES,AUTOSELECT=YES,URI=\"getHLSMediaPlaylist.m3u8?SessionToken=%s&TrackNumber=2\"\n", token)
		}
	}
	fmt.Fprintf(&b, "#EXT-X-STREAM-INF:BANDWIDTH=%d,CODECS=\"%s\"", bandwidth, codecs)
	if t := h.Tracks[0]; t.Codec.Video() {
		fmt.Fprintf(&b, ",RESOLUTION=%dx%d", t.Width, t.Height)
	}
	if ss.TS {
		// A TS segment carries every track, so one media playlist serves
		// them all and names no track.
		fmt.Fprintf(&b, "\ngetHLSMediaPlaylist.m3u8?SessionToken=%s\n", token)
	} else {
		fmt.Fprintf(&b, "%s\ngetHLSMediaPlaylist.m3u8?SessionToken=%s&TrackNumber=1\n", audio, token)
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// gapLimit is how far apart consecutive fragments may be before
// ON_DISCONTINUITY marks a discontinuity.
const gapLimit = 50 * time.Millisecond

// version is the playlists' EXT-X-VERSION. fMP4 segments need 7
// (EXT-X-MAP without I-frames needs 6). MPEG-TS is there for old players,
// and nothing in its playlists needs more than 3 (decimal EXTINF), so it
// claims no more than that.
func version(ss *session.Session) int {
	if ss.TS {
		return 3
	}
	return 7
}

// MediaPlaylist writes the media playlist of one track
// (GetHLSMediaPlaylist), RFC 8216 version 7 with an EXT-X-MAP per codec
// configuration; for MPEG_TS, the one playlist of all tracks, with TS
// segments and no EXT-X-MAP. track is ignored for MPEG_TS.
func (s *Service) MediaPlaylist(ctx context.Context, token string, track int, w io.Writer) error {
	ss, err := s.m.Open(token)
	if err != nil {
		return err
	}
	win, err := s.m.Window(ctx, ss)
	if err != nil {
		return err
	}
	var body bytes.Buffer
	target := 1
	var prevHeader *playback.Header
	prev := win.Before
	discSeq := 0
	if ss.Disc == DiscontinuityAlways {
		discSeq = win.Seq
	}
	for i := range win.FS {
		f := &win.FS[i]
		h, err := s.src.Header(ctx, *f)
		if err != nil {
			return err
		}
		if !ss.TS && (track < 1 || track > len(h.Tracks)) {
			return errkind.New(playback.ErrInvalidArgument, "TrackNumber %d is not a track of the stream.", track)
		}
		newMap := prevHeader == nil || !prevHeader.SameTracks(h)
		disc := false
		switch ss.Disc {
		case DiscontinuityAlways:
			disc = true
		case DiscontinuityOnGap:
			if prev != nil {
				gap := session.Timestamp(*f, ss.By).Sub(session.Timestamp(*prev, ss.By).Add(prev.Duration))
				disc = gap > gapLimit || gap < -gapLimit
			}
		}
		if newMap && prevHeader != nil {
			disc = true // a new codec configuration needs a decoder reset
		}
		if disc {
			body.WriteString("#EXT-X-DISCONTINUITY\n")
		}
		if newMap && !ss.TS {
			fmt.Fprintf(&body, "#EXT-X-MAP:URI=\"getMP4InitFragment.mp4?SessionToken=%s&TrackNumber=%d&SequenceNumber=%d\"\n", token, track, f.HeaderID)
		}
		if newMap {
			prevHeader = h
		}
		if ss.PDT {
			fmt.Fprintf(&body, "#EXT-X-PROGRAM-DATE-TIME:%s\n", session.Timestamp(*f, ss.By).UTC().Format("2006-01-02T15:04:05.000Z"))
		}
		d := session.Extinf(win.FS, i, ss.By)
		target = max(target, int(math.Round(d.Seconds())))
		fmt.Fprintf(&body, "#EXTINF:%s,\n", strconv.FormatFloat(float64(d.Milliseconds())/1000, 'f', -1, 64))
		if ss.TS {
			// KVS's documented GetTSFragment; the query has no
			// TrackNumber because the segment muxes every track.
			fmt.Fprintf(&body, "getTSFragment.ts?FragmentNumber=%s&SessionToken=%s\n", session.FormatNumber(f.Number), token)
		} else {
			fmt.Fprintf(&body, "getMP4MediaFragment.mp4?FragmentNumber=%s&SessionToken=%s&TrackNumber=%d\n",
				session.FormatNumber(f.Number), token, track)
		}
		prev = f
	}
	if win.Ended {
		body.WriteString("#EXT-X-ENDLIST\n")
	}
	var head strings.Builder
	fmt.Fprintf(&head, "#EXTM3U\n#EXT-X-VERSION:%d\n#EXT-X-TARGETDURATION:%d\n#EXT-X-MEDIA-SEQUENCE:%d\n", version(ss), target, win.Seq)
	if discSeq > 0 {
		fmt.Fprintf(&head, "#EXT-X-DISCONTINUITY-SEQUENCE:%d\n", discSeq)
	}
	if ss.Mode == ModeOnDemand {
		head.WriteString("#EXT-X-PLAYLIST-TYPE:VOD\n")
	}
	head.WriteString("#EXT-X-INDEPENDENT-SEGMENTS\n")
	if _, err := io.WriteString(w, head.String()); err != nil {
		return err
	}
	_, err = w.Write(body.Bytes())
	return err
}

// InitFragment writes the init segment of a track (GetMP4InitFragment).
// seq is the SequenceNumber of the EXT-X-MAP URI: the ID of the producer
// header the segments after it were sent under.
func (s *Service) InitFragment(ctx context.Context, token string, track int, seq uint64, w io.Writer) error {
	ss, err := s.open(token, false)
	if err != nil {
		return err
	}
	return s.m.InitFragment(ctx, ss, playback.APIHLS, track, seq, w)
}

// MediaFragment writes one fragment of one track as moof+mdat
// (GetMP4MediaFragment). Decode times count from the session's origin in
// the session's timestamp kind, so that with DiscontinuityMode NEVER
// consecutive fragments continue one timeline.
func (s *Service) MediaFragment(ctx context.Context, token string, track int, number uint64, w io.Writer) error {
	ss, err := s.open(token, false)
	if err != nil {
		return err
	}
	f, err := s.m.Fragment(ctx, ss, number)
	if err != nil {
		return err
	}
	at := session.Timestamp(f, ss.By).Sub(time.UnixMilli(ss.Origin))
	return s.m.MediaFragment(ctx, ss, playback.APIHLS, f, track, at, nil, w)
}

// TSFragment writes one fragment, every track, as an MPEG-TS segment
// (GetTSFragment), on the same session timeline as MediaFragment.
func (s *Service) TSFragment(ctx context.Context, token string, number uint64, w io.Writer) error {
	ss, err := s.open(token, true)
	if err != nil {
		return err
	}
	f, err := s.m.Fragment(ctx, ss, number)
	if err != nil {
		return err
	}
	frag, err := s.src.Cached(ctx, f)
	if err != nil {
		return err
	}
	if err := session.CheckTracks(frag.Header, playback.APIHLS, true); err != nil {
		return err
	}
	at := session.Timestamp(f, ss.By).Sub(time.UnixMilli(ss.Origin))
	var b bytes.Buffer
	if err := playback.TSSegment(&b, frag, at.Nanoseconds()); err != nil {
		return err
	}
	_, err = w.Write(b.Bytes())
	return err
}

// open verifies a token and that the session's container is the one the
// resource serves: a session is only its requested format (§5).
func (s *Service) open(token string, ts bool) (*session.Session, error) {
	ss, err := s.m.Open(token)
	if err != nil {
		return nil, err
	}
	if ss.TS != ts {
		want := "FRAGMENTED_MP4"
		if ss.TS {
			want = "MPEG_TS"
		}
		return nil, errkind.New(playback.ErrInvalidArgument, "The session's ContainerFormat is %s; this resource is not part of it.", want)
	}
	return ss, nil
}
