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
	"github.com/openkvs/openkvs/internal/media"
	"github.com/openkvs/openkvs/internal/playback"
	"github.com/openkvs/openkvs/internal/store"
)

// window is the part of a session a media playlist shows.
type window struct {
	fs []store.Fragment
	// seq is the media sequence number of fs[0]: how many of the session's
	// fragments came before it.
	seq int
	// before is the fragment just before fs[0], if any, so the first
	// discontinuity of the window is judged like the others.
	before *store.Fragment
	ended  bool
}

// window selects the session's fragments for a media playlist now.
func (s *Service) window(ctx context.Context, ss *session) (window, error) {
	q := store.FragmentQuery{Stream: ss.Stream, By: ss.By, AfterNumber: ss.After}
	if ss.Mode == ModeLive {
		// LIVE lists by arrival; producer timestamps only time the media.
		q.By = store.ByServerTimestamp
	} else {
		q.Start = time.UnixMilli(ss.Start)
		if ss.End != 0 {
			q.End = time.UnixMilli(ss.End)
		}
	}
	if ss.Mode == ModeOnDemand {
		// The oldest MaxMediaPlaylistFragmentResults; allow for duplicates.
		q.Limit = 2*ss.Max + 16
	}
	fs, err := s.src.Store().List(ctx, q)
	if err != nil {
		return window{}, fmt.Errorf("list fragments: %w", err)
	}
	if ss.By == store.ByProducerTimestamp {
		fs = dedupe(fs)
	}
	w := window{}
	switch ss.Mode {
	case ModeOnDemand:
		w.fs, w.ended = fs[:min(len(fs), ss.Max)], true
		return w, nil
	case ModeLiveReplay:
		// Fragments appear in real time from the start: one is added once
		// the session has run as long as the media before it.
		elapsed := s.now().Sub(time.UnixMilli(ss.Created))
		n := 0
		for n < len(fs) && timestamp(fs[n], ss.By).Sub(timestamp(fs[0], ss.By)) <= elapsed {
			n++
		}
		w.ended = ss.End != 0 && n == len(fs) && s.now().After(time.UnixMilli(ss.End))
		fs = fs[:n]
	}
	start := max(0, len(fs)-ss.Max)
	w.fs, w.seq = fs[start:], start
	if start > 0 {
		w.before = &fs[start-1]
	}
	return w, nil
}

// dedupe keeps, of fragments with the same producer timestamp, the one
// with the largest fragment number (data-plane-api.md §5).
func dedupe(fs []store.Fragment) []store.Fragment {
	last := make(map[int64]int, len(fs))
	for i, f := range fs {
		last[f.ProducerTimestamp.UnixMilli()] = i
	}
	out := fs[:0]
	for i, f := range fs {
		if last[f.ProducerTimestamp.UnixMilli()] == i {
			out = append(out, f)
		}
	}
	return out
}

// MasterPlaylist writes the master playlist (GetHLSMasterPlaylist): one
// variant with the video media playlist, and the audio track, if any, as a
// rendition.
func (s *Service) MasterPlaylist(ctx context.Context, token string, w io.Writer) error {
	ss, err := s.open(token)
	if err != nil {
		return err
	}
	win, err := s.window(ctx, ss)
	if err != nil {
		return err
	}
	if len(win.fs) == 0 {
		// LIVE_REPLAY before its first fragment is due: use the first.
		fs, err := s.src.Store().List(ctx, store.FragmentQuery{Stream: ss.Stream, AfterNumber: ss.After, By: ss.By,
			Start: time.UnixMilli(ss.Start), Limit: 1})
		if err != nil || len(fs) == 0 {
			return errkind.New(playback.ErrNotFound, "The session has no fragments.")
		}
		win.fs = fs
	}
	h, err := s.src.Header(ctx, win.fs[0])
	if err != nil {
		return err
	}
	if err := h.Check(playback.APIHLS); err != nil {
		return err
	}
	var size int64
	var dur time.Duration
	for _, f := range win.fs {
		size += f.Size
		dur += f.Duration
	}
	bandwidth := int64(1_000_000)
	if dur > 0 {
		bandwidth = size * 8 * int64(time.Second) / int64(dur)
	}
	var b strings.Builder
	b.WriteString("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n")
	codecs := h.Tracks[0].CodecString
	audio := ""
	if len(h.Tracks) == 2 {
		codecs += "," + h.Tracks[1].CodecString
		audio = `,AUDIO="audio"`
		fmt.Fprintf(&b, "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"audio\",DEFAULT=YES,AUTOSELECT=YES,URI=\"getHLSMediaPlaylist.m3u8?SessionToken=%s&TrackNumber=2\"\n", token)
	}
	fmt.Fprintf(&b, "#EXT-X-STREAM-INF:BANDWIDTH=%d,CODECS=\"%s\"", bandwidth, codecs)
	if t := h.Tracks[0]; t.Codec.Video() {
		fmt.Fprintf(&b, ",RESOLUTION=%dx%d", t.Width, t.Height)
	}
	fmt.Fprintf(&b, "%s\ngetHLSMediaPlaylist.m3u8?SessionToken=%s&TrackNumber=1\n", audio, token)
	_, err = io.WriteString(w, b.String())
	return err
}

// gapLimit is how far apart consecutive fragments may be before
// ON_DISCONTINUITY marks a discontinuity.
const gapLimit = 50 * time.Millisecond

// MediaPlaylist writes the media playlist of one track
// (GetHLSMediaPlaylist), RFC 8216 version 7 with an EXT-X-MAP per codec
// configuration.
func (s *Service) MediaPlaylist(ctx context.Context, token string, track int, w io.Writer) error {
	ss, err := s.open(token)
	if err != nil {
		return err
	}
	win, err := s.window(ctx, ss)
	if err != nil {
		return err
	}
	var body bytes.Buffer
	target := 1
	var prevHeader *playback.Header
	prev := win.before
	discSeq := 0
	if ss.Disc == DiscontinuityAlways {
		discSeq = win.seq
	}
	for i := range win.fs {
		f := &win.fs[i]
		h, err := s.src.Header(ctx, *f)
		if err != nil {
			return err
		}
		if track < 1 || track > len(h.Tracks) {
			return errkind.New(playback.ErrInvalidArgument, "TrackNumber %d is not a track of the stream.", track)
		}
		newMap := prevHeader == nil || !prevHeader.SameTracks(h)
		disc := false
		switch ss.Disc {
		case DiscontinuityAlways:
			disc = true
		case DiscontinuityOnGap:
			if prev != nil {
				gap := timestamp(*f, ss.By).Sub(timestamp(*prev, ss.By).Add(prev.Duration))
				disc = gap > gapLimit || gap < -gapLimit
			}
		}
		if newMap && prevHeader != nil {
			disc = true // a new codec configuration needs a decoder reset
		}
		if disc {
			body.WriteString("#EXT-X-DISCONTINUITY\n")
		}
		if newMap {
			fmt.Fprintf(&body, "#EXT-X-MAP:URI=\"getMP4InitFragment.mp4?SessionToken=%s&TrackNumber=%d&SequenceNumber=%d\"\n", token, track, f.HeaderID)
			prevHeader = h
		}
		if ss.PDT {
			fmt.Fprintf(&body, "#EXT-X-PROGRAM-DATE-TIME:%s\n", timestamp(*f, ss.By).UTC().Format("2006-01-02T15:04:05.000Z"))
		}
		d := extinf(win.fs, i, ss.By)
		target = max(target, int(math.Round(d.Seconds())))
		fmt.Fprintf(&body, "#EXTINF:%s,\ngetMP4MediaFragment.mp4?FragmentNumber=%s&SessionToken=%s&TrackNumber=%d\n",
			strconv.FormatFloat(float64(d.Milliseconds())/1000, 'f', -1, 64), formatNumber(f.Number), token, track)
		prev = f
	}
	if win.ended {
		body.WriteString("#EXT-X-ENDLIST\n")
	}
	var head strings.Builder
	fmt.Fprintf(&head, "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:%d\n#EXT-X-MEDIA-SEQUENCE:%d\n", target, win.seq)
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

// extinf is a segment's duration: as in KVS playlists, the gap to the next
// fragment's timestamp, unless that gap is implausible for the fragment's
// media (fragments ingested faster than real time have server timestamps
// milliseconds apart); then, and for the last fragment, the media's length.
func extinf(fs []store.Fragment, i int, by store.TimestampKind) time.Duration {
	d := max(fs[i].Duration, time.Millisecond)
	if i+1 < len(fs) {
		if gap := timestamp(fs[i+1], by).Sub(timestamp(fs[i], by)); gap >= d/2 && gap <= 2*d {
			return gap
		}
	}
	return d
}

// InitFragment writes the init segment of a track (GetMP4InitFragment).
// seq is the SequenceNumber of the EXT-X-MAP URI: the ID of the producer
// header the segments after it were sent under.
func (s *Service) InitFragment(ctx context.Context, token string, track int, seq uint64, w io.Writer) error {
	ss, err := s.open(token)
	if err != nil {
		return err
	}
	h, err := s.src.Header(ctx, store.Fragment{Stream: ss.Stream, HeaderID: seq})
	if err != nil {
		return errkind.New(playback.ErrNotFound, "The init fragment %d was not found.", seq)
	}
	if err := h.Check(playback.APIHLS); err != nil {
		return err
	}
	if track < 1 || track > len(h.Tracks) {
		return errkind.New(playback.ErrInvalidArgument, "TrackNumber %d is not a track of the stream.", track)
	}
	var b bytes.Buffer
	if err := playback.InitSegment(&b, h, track-1); err != nil {
		return err
	}
	_, err = w.Write(b.Bytes())
	return err
}

// MediaFragment writes one fragment of one track as moof+mdat
// (GetMP4MediaFragment). Decode times count from the session's origin in
// the session's timestamp kind, so that with DiscontinuityMode NEVER
// consecutive fragments continue one timeline.
func (s *Service) MediaFragment(ctx context.Context, token string, track int, number uint64, w io.Writer) error {
	ss, err := s.open(token)
	if err != nil {
		return err
	}
	f, err := s.src.Store().Get(ctx, ss.Stream, number)
	if err != nil || !s.inSession(ss, f) {
		return errkind.New(playback.ErrNotFound, "Fragment %s is not part of the session.", formatNumber(number))
	}
	var frag playback.Fragment
	if err := s.src.Read(ctx, f, &frag); err != nil {
		return err
	}
	if err := frag.Header.Check(playback.APIHLS); err != nil {
		return err
	}
	if track < 1 || track > len(frag.Header.Tracks) {
		return errkind.New(playback.ErrInvalidArgument, "TrackNumber %d is not a track of the stream.", track)
	}
	t := &frag.Header.Tracks[track-1]
	samples := frag.CMAFSamples(track-1, nil)
	if len(samples) == 0 {
		return errkind.New(playback.ErrNotFound, "Fragment %s has no frames of track %d.", formatNumber(number), track)
	}
	anchor := timestamp(f, ss.By).Sub(time.UnixMilli(ss.Origin)).Nanoseconds()
	base := t.NsTo(anchor) + samples[0].DTS
	if t.Codec == playback.CodecAAC {
		// Snap to the AAC frame grid: timestamps have millisecond
		// precision, frames are 1024 samples, and continuous audio must
		// not overlap or gap by a few samples between segments.
		base = int64(math.Round(float64(base)/playback.AACFrameSamples)) * playback.AACFrameSamples
	}
	var b bytes.Buffer
	if err := playback.MediaSegment(&b, uint32(number%(1<<31))+1, uint64(max(base, 0)), samples); err != nil {
		return err
	}
	_, err = w.Write(b.Bytes())
	return err
}

// inSession reports whether a fragment belongs to the session's stream and
// time range.
func (s *Service) inSession(ss *session, f store.Fragment) bool {
	if f.Stream != ss.Stream {
		return false
	}
	if ss.Mode == ModeLive {
		return f.Number > ss.After
	}
	ts := timestamp(f, ss.By).UnixMilli()
	return ts >= ss.Start && (ss.End == 0 || ts <= ss.End)
}

// formatNumber formats a fragment number as every other API shows it.
func formatNumber(n uint64) string { return media.FormatFragmentNumber(n) }
