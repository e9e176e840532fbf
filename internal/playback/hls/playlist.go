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
	return s.MasterPlaylistLL(ctx, token, false, w)
}

// MasterPlaylistLL is MasterPlaylist; with lowLatency its media playlist
// URIs ask for low-latency playlists (LowLatency=1).
func (s *Service) MasterPlaylistLL(ctx context.Context, token string, lowLatency bool, w io.Writer) error {
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
	ll := ""
	if lowLatency {
		ll = "&LowLatency=1"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "#EXTM3U\n#EXT-X-VERSION:%d\n#EXT-X-INDEPENDENT-SEGMENTS\n", version(ss))
	codecs := h.Tracks[0].CodecString
	audio := ""
	if len(h.Tracks) == 2 {
		codecs += "," + h.Tracks[1].CodecString
		if !ss.TS {
			audio = `,AUDIO="audio"`
			fmt.Fprintf(&b, "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"audio\",DEFAULT=YES,AUTOSELECT=YES,URI=\"getHLSMediaPlaylist.m3u8?SessionToken=%s&TrackNumber=2%s\"\n", token, ll)
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
		fmt.Fprintf(&b, "%s\ngetHLSMediaPlaylist.m3u8?SessionToken=%s&TrackNumber=1%s\n", audio, token, ll)
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
	return s.MediaPlaylistLL(ctx, token, track, LLRequest{MSN: -1, Part: -1}, w)
}

// LLRequest asks for a low-latency media playlist.
type LLRequest struct {
	// On asks for partial segments (LowLatency=1); only LIVE fMP4
	// sessions of a Service with a Live source serve them.
	On bool
	// MSN and Part are _HLS_msn and _HLS_part (-1 when absent): the
	// playlist is sent once it holds that segment or part (blocking
	// playlist reload).
	MSN, Part int
}

// MediaPlaylistLL is MediaPlaylist with low-latency HLS when asked for:
// EXT-X-PART tags for the fragment in progress and the last two complete
// ones, an EXT-X-PRELOAD-HINT for the next part, and blocking reload.
func (s *Service) MediaPlaylistLL(ctx context.Context, token string, track int, llr LLRequest, w io.Writer) error {
	ss, err := s.m.Open(token)
	if err != nil {
		return err
	}
	ll := llr.On && !ss.TS && ss.Mode == ModeLive && s.tr != nil
	deadline := time.Now().Add(blockLimit)
	var (
		win    session.Window
		cur    *partial
		hintBy time.Time // how long a ready playlist waits for the next fragment to begin
	)
	for {
		win, err = s.m.Window(ctx, ss)
		if err != nil {
			return err
		}
		if !ll {
			break
		}
		if llr.MSN > len(win.All)+1 {
			// More than two segments ahead of the last complete one
			// (RFC 8216bis §6.2.5.2): answer now rather than block.
			return errkind.New(playback.ErrInvalidArgument, "_HLS_msn %d is beyond the playlist's next segment.", llr.MSN)
		}
		var changed <-chan struct{}
		cur, changed = s.tr.get(ss.Stream).snapshot(func(n uint64) bool {
			// Stored, or before the session: not the fragment in progress.
			return n <= ss.After || len(win.All) > 0 && n <= win.All[len(win.All)-1].Number
		})
		wait := deadline
		if llr.MSN < 0 || llReady(len(win.All), cur, track, llr) {
			if cur != nil && !cur.ended || win.Ended {
				break
			}
			// The playlist would end without an EXT-X-PRELOAD-HINT: the
			// fragment in progress has just ended and is being stored, or
			// it is stored and the next has not begun, so the next part's
			// URI, which carries the fragment number, is not known yet.
			// hls.js 1.7 misplaces the next segment on such a playlist, a
			// whole segment late, and then stalls or skips a hole; so wait
			// briefly for the store and the camera's next frame.
			if hintBy.IsZero() {
				hintBy = earlier(time.Now().Add(nextFragmentWait), deadline)
			}
			wait = hintBy
			if cur != nil {
				// Storing takes milliseconds and sends no hub event.
				wait = earlier(time.Now().Add(storeRecheck), hintBy)
			}
		}
		if !waitChange(ctx, changed, wait) {
			break
		}
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
		if ll && i >= len(win.FS)-2 {
			if frag, err := s.src.Cached(ctx, *f); err == nil && track <= len(frag.Header.Tracks) {
				writeParts(&body, frag, track, f.Number, token, true, false)
			}
		}
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
	if ll && cur != nil && track <= len(cur.header.Tracks) {
		// The fragment in progress: its parts so far and a hint of the
		// next, under the same discontinuity and date rules.
		if ss.Disc == DiscontinuityAlways && len(win.FS) > 0 {
			body.WriteString("#EXT-X-DISCONTINUITY\n")
		}
		if len(win.FS) == 0 {
			fmt.Fprintf(&body, "#EXT-X-MAP:URI=\"getMP4InitFragment.mp4?SessionToken=%s&TrackNumber=%d&SequenceNumber=%d\"\n", token, track, ss.Header)
		}
		if ss.PDT {
			ts := cur.info.ServerTimestamp
			if ss.By == store.ByProducerTimestamp {
				ts = cur.info.ProducerTimestamp
			}
			fmt.Fprintf(&body, "#EXT-X-PROGRAM-DATE-TIME:%s\n", ts.UTC().Format("2006-01-02T15:04:05.000Z"))
		}
		writeParts(&body, &cur.frag, track, cur.info.Number, token, cur.ended, !cur.ended)
	}
	if win.Ended {
		body.WriteString("#EXT-X-ENDLIST\n")
	}
	var head strings.Builder
	fmt.Fprintf(&head, "#EXTM3U\n#EXT-X-VERSION:%d\n#EXT-X-TARGETDURATION:%d\n#EXT-X-MEDIA-SEQUENCE:%d\n", version(ss), target, win.Seq)
	if ll {
		fmt.Fprintf(&head, "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=%s\n#EXT-X-PART-INF:PART-TARGET=%s\n",
			seconds(partHoldBack), seconds(PartTarget))
	}
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

// seconds formats a duration as decimal seconds.
func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) }

// llReady reports whether a playlist with complete segments 0..complete-1
// and the fragment in progress cur (segment complete) answers a blocking
// reload: it holds segment MSN, or part Part of it.
func llReady(complete int, cur *partial, track int, r LLRequest) bool {
	if r.MSN < complete {
		return true
	}
	if r.MSN > complete || cur == nil || r.Part < 0 || track > len(cur.header.Tracks) {
		return false
	}
	return parts(&cur.frag, track-1, cur.ended) > r.Part
}

// writeParts writes the EXT-X-PART tags of a fragment's complete parts of
// a track and, when hint, the EXT-X-PRELOAD-HINT of the next part.
func writeParts(b *bytes.Buffer, frag *playback.Fragment, track int, number uint64, token string, ended, hint bool) {
	ti := track - 1
	n := parts(frag, ti, ended)
	t := &frag.Header.Tracks[ti]
	uri := func(i int) string {
		return fmt.Sprintf("getMP4PartialFragment.mp4?FragmentNumber=%s&Part=%d&SessionToken=%s&TrackNumber=%d",
			session.FormatNumber(number), i, token, track)
	}
	for i := range n {
		ss := partSamples(frag, ti, i, ended && i == n-1)
		var dur int64
		for _, smp := range ss {
			dur += int64(smp.Dur)
		}
		indep := ""
		if len(ss) > 0 && ss[0].Key {
			indep = ",INDEPENDENT=YES"
		}
		fmt.Fprintf(b, "#EXT-X-PART:DURATION=%s,URI=\"%s\"%s\n",
			strconv.FormatFloat(float64(dur)/float64(t.Timescale), 'f', 5, 64), uri(i), indep)
	}
	if hint {
		fmt.Fprintf(b, "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"%s\"\n", uri(n))
	}
}

// PartialFragment writes part number part of a fragment of one track as
// moof+mdat (our getMP4PartialFragment.mp4, low-latency HLS). A part not
// yet complete is waited for, up to blockLimit, as the preload hint
// expects.
func (s *Service) PartialFragment(ctx context.Context, token string, track int, number uint64, part int, w io.Writer) error {
	ss, err := s.open(token, false)
	if err != nil {
		return err
	}
	if ss.Mode != ModeLive || s.tr == nil || part < 0 {
		return errkind.New(playback.ErrInvalidArgument, "Partial fragments are served for LIVE sessions with LowLatency=1 only.")
	}
	deadline := time.Now().Add(blockLimit)
	for {
		var (
			frag  *playback.Fragment
			at    time.Duration
			ended bool
		)
		if f, err := s.m.Fragment(ctx, ss, number); err == nil {
			if frag, err = s.src.Cached(ctx, f); err != nil {
				return err
			}
			at, ended = session.Timestamp(f, ss.By).Sub(time.UnixMilli(ss.Origin)), true
		}
		var changed <-chan struct{}
		if frag == nil {
			var cur *partial
			cur, changed = s.tr.get(ss.Stream).find(number)
			if cur != nil && number > ss.After {
				frag, ended = &cur.frag, cur.ended
				meta := store.Fragment{ServerTimestamp: cur.info.ServerTimestamp, ProducerTimestamp: cur.info.ProducerTimestamp}
				at = session.Timestamp(meta, ss.By).Sub(time.UnixMilli(ss.Origin))
			}
		}
		if frag != nil && track >= 1 && track <= len(frag.Header.Tracks) {
			if n := parts(frag, track-1, ended); part < n {
				t := &frag.Header.Tracks[track-1]
				all := frag.CMAFSamples(track-1, nil)
				smp := partSamples(frag, track-1, part, ended && part == n-1)
				if len(smp) == 0 {
					return errkind.New(playback.ErrNotFound, "Part %d of fragment %s has no frames of track %d.", part, session.FormatNumber(number), track)
				}
				base := session.SegmentBase(t, at, all[0].DTS) + smp[0].DTS - all[0].DTS
				var b bytes.Buffer
				if err := playback.MediaSegment(&b, uint32(number%(1<<31))+1, uint64(max(base, 0)), smp); err != nil {
					return err
				}
				_, err := w.Write(b.Bytes())
				return err
			} else if ended {
				return errkind.New(playback.ErrNotFound, "Fragment %s has no part %d.", session.FormatNumber(number), part)
			}
		}
		if changed == nil {
			ch := make(chan struct{})
			changed = ch
		}
		if !waitChange(ctx, changed, deadline) {
			return errkind.New(playback.ErrNotFound, "Part %d of fragment %s is not available.", part, session.FormatNumber(number))
		}
	}
}

// earlier returns the earlier of a and b.
func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
