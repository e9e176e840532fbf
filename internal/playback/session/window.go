package session

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/openkvs/openkvs/internal/errkind"
	"github.com/openkvs/openkvs/internal/playback"
	"github.com/openkvs/openkvs/internal/store"
)

// Fragments returns the session's fragments available now, oldest first,
// from its first: index i is the fragment's media sequence number (HLS)
// or segment number (DASH). ended reports that no more will come.
func (m *Manager) Fragments(ctx context.Context, ss *Session) (fs []store.Fragment, ended bool, err error) {
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
		// The oldest Max; allow for duplicates.
		q.Limit = 2*ss.Max + 16
	}
	fs, err = m.src.Store().List(ctx, q)
	if err != nil {
		return nil, false, fmt.Errorf("list fragments: %w", err)
	}
	if ss.By == store.ByProducerTimestamp {
		fs = dedupe(fs)
	}
	switch ss.Mode {
	case ModeOnDemand:
		return fs[:min(len(fs), ss.Max)], true, nil
	case ModeLiveReplay:
		// Fragments appear in real time from the start: one is added once
		// the session has run as long as the media before it.
		elapsed := m.now().Sub(time.UnixMilli(ss.Created))
		n := 0
		for n < len(fs) && Timestamp(fs[n], ss.By).Sub(Timestamp(fs[0], ss.By)) <= elapsed {
			n++
		}
		ended = ss.End != 0 && n == len(fs) && m.now().After(time.UnixMilli(ss.End))
		fs = fs[:n]
	}
	return fs, ended, nil
}

// Window is the part of a session a playlist or manifest shows.
type Window struct {
	// All is every fragment of the session so far; FS is its tail shown.
	All, FS []store.Fragment
	// Seq is the index of FS[0] in All.
	Seq int
	// Before is the fragment just before FS[0], if any, so the first
	// discontinuity of the window is judged like the others.
	Before *store.Fragment
	Ended  bool
}

// Window selects the session's fragments for a playlist or manifest now:
// all of them for ON_DEMAND, the newest Max for the live modes.
func (m *Manager) Window(ctx context.Context, ss *Session) (Window, error) {
	fs, ended, err := m.Fragments(ctx, ss)
	if err != nil {
		return Window{}, err
	}
	w := Window{All: fs, Ended: ended}
	start := max(0, len(fs)-ss.Max)
	w.FS, w.Seq = fs[start:], start
	if start > 0 {
		w.Before = &fs[start-1]
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

// Extinf is a fragment's length in a playlist or manifest: as in KVS
// playlists, the gap to the next fragment's timestamp, unless that gap is
// implausible for the fragment's media (fragments ingested faster than
// real time have server timestamps milliseconds apart, and a stream can
// have holes); then, and for the last fragment, the media's length.
func Extinf(fs []store.Fragment, i int, by store.TimestampKind) time.Duration {
	d := max(fs[i].Duration, time.Millisecond)
	if i+1 < len(fs) {
		if gap := Timestamp(fs[i+1], by).Sub(Timestamp(fs[i], by)); gap >= d/2 && gap <= 2*d {
			return gap
		}
	}
	return d
}

// InSession reports whether a fragment belongs to the session's stream and
// time range.
func InSession(ss *Session, f store.Fragment) bool {
	if f.Stream != ss.Stream {
		return false
	}
	if ss.Mode == ModeLive {
		return f.Number > ss.After
	}
	ts := Timestamp(f, ss.By).UnixMilli()
	return ts >= ss.Start && (ss.End == 0 || ts <= ss.End)
}

// Fragment looks up a fragment of the session by number.
func (m *Manager) Fragment(ctx context.Context, ss *Session, number uint64) (store.Fragment, error) {
	f, err := m.src.Store().Get(ctx, ss.Stream, number)
	if err != nil || !InSession(ss, f) {
		return store.Fragment{}, errkind.New(playback.ErrNotFound, "Fragment %s is not part of the session.", FormatNumber(number))
	}
	return f, nil
}

// checkTrack reports a TrackNumber that is not a track of h.
func checkTrack(h *playback.Header, track int) error {
	if track < 1 || track > len(h.Tracks) {
		return errkind.New(playback.ErrInvalidArgument, "TrackNumber %d is not a track of the stream.", track)
	}
	return nil
}

// InitFragment writes the fMP4 init segment of a track under the producer
// header headerID (GetMP4InitFragment).
func (m *Manager) InitFragment(ctx context.Context, ss *Session, api playback.API, track int, headerID uint64, w io.Writer) error {
	h, err := m.src.Header(ctx, store.Fragment{Stream: ss.Stream, HeaderID: headerID})
	if err != nil {
		return errkind.New(playback.ErrNotFound, "The init fragment %d was not found.", headerID)
	}
	if err := CheckTracks(h, api, ss.TS); err != nil {
		return err
	}
	if err := checkTrack(h, track); err != nil {
		return err
	}
	var b bytes.Buffer
	if err := playback.InitSegment(&b, h, track-1); err != nil {
		return err
	}
	_, err = w.Write(b.Bytes())
	return err
}

// MediaFragment writes fragment f's frames of one track as moof+mdat
// (GetMP4MediaFragment), with decode times counted from at, the
// fragment's start on the session's media timeline. check, when not nil,
// vets the fragment's header first.
func (m *Manager) MediaFragment(ctx context.Context, ss *Session, api playback.API, f store.Fragment, track int, at time.Duration,
	check func(*playback.Header) error, w io.Writer) error {
	frag, err := m.src.Cached(ctx, f)
	if err != nil {
		return err
	}
	if err := CheckTracks(frag.Header, api, ss.TS); err != nil {
		return err
	}
	if check != nil {
		if err := check(frag.Header); err != nil {
			return err
		}
	}
	if err := checkTrack(frag.Header, track); err != nil {
		return err
	}
	t := &frag.Header.Tracks[track-1]
	samples := frag.CMAFSamples(track-1, nil)
	if len(samples) == 0 {
		return errkind.New(playback.ErrNotFound, "Fragment %s has no frames of track %d.", FormatNumber(f.Number), track)
	}
	base := SegmentBase(t, at, samples[0].DTS)
	return playback.MediaSegment(w, uint32(f.Number%(1<<31))+1, uint64(max(base, 0)), samples)
}

// SegmentBase is the base media decode time of a fragment's segment of
// track t: the fragment's start at on the session timeline plus its first
// sample's decode time first.
func SegmentBase(t *playback.Track, at time.Duration, first int64) int64 {
	base := t.NsTo(at.Nanoseconds()) + first
	if t.Codec == playback.CodecAAC {
		// Snap to the AAC frame grid: timestamps have millisecond
		// precision, frames are 1024 samples, and continuous audio must
		// not overlap or gap by a few samples between segments.
		base = int64(math.Round(float64(base)/playback.AACFrameSamples)) * playback.AACFrameSamples
	}
	return base
}
