package mediasource

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/openkvs/openkvs/producer"
)

// reorderWindow is how many video frames the DTS derivation of PTS-only
// containers looks ahead. B-frame pyramids of common encoders reorder by at
// most 3-4 frames; 8 leaves room while adding at most 8 frames of latency
// on a live pipe.
const reorderWindow = 8

// dtsFromPTS derives decoding timestamps for one video track whose
// container stores only presentation timestamps (Matroska), frames being in
// decoding order: DTS(i) = min(PTS(i..i+window-1)), kept non-decreasing.
// That value never exceeds the frame's own PTS, and with reordering no
// deeper than the window it is the PTS of the earliest picture still to be
// shown, which is what an encoder's DTS is up to a constant.
type dtsFromPTS struct {
	window  []producer.Frame
	lastDTS time.Duration
	started bool
}

// push adds a frame (DTS ignored) and returns the frame that left the
// window, if any, with its DTS set.
func (d *dtsFromPTS) push(f producer.Frame) (producer.Frame, bool) {
	d.window = append(d.window, f)
	if len(d.window) < reorderWindow {
		return producer.Frame{}, false
	}
	return d.pop(), true
}

// flush returns the next buffered frame at the end of the input.
func (d *dtsFromPTS) flush() (producer.Frame, bool) {
	if len(d.window) == 0 {
		return producer.Frame{}, false
	}
	return d.pop(), true
}

func (d *dtsFromPTS) pop() producer.Frame {
	f := d.window[0]
	dts := f.PTS
	for _, later := range d.window[1:] {
		dts = min(dts, later.PTS)
	}
	if d.started {
		dts = max(dts, d.lastDTS)
	}
	d.started, d.lastDTS = true, dts
	f.DTS = dts
	d.window = d.window[1:]
	return f
}

// interleaver merges the frames of several tracks, each already in DTS
// order, into one DTS-ordered sequence. It emits the earliest head once
// every track has a frame waiting, so a live source is not delayed by more
// than one frame per track; a track that stays silent (or a container that
// interleaves coarsely) is bounded by maxBuffered.
type interleaver struct {
	queues      [][]producer.Frame
	buffered    int
	maxBuffered int
}

func newInterleaver(tracks, maxBuffered int) *interleaver {
	return &interleaver{queues: make([][]producer.Frame, tracks), maxBuffered: maxBuffered}
}

func (m *interleaver) push(track int, f producer.Frame) {
	m.queues[track] = append(m.queues[track], f)
	m.buffered++
}

// pop returns the frame with the smallest DTS if it is safe to emit, or
// always when drain is set (the input ended).
func (m *interleaver) pop(drain bool) (producer.Frame, bool) {
	best := -1
	for i, q := range m.queues {
		if len(q) == 0 {
			if !drain && m.buffered < m.maxBuffered {
				return producer.Frame{}, false
			}
			continue
		}
		if best < 0 || q[0].DTS < m.queues[best][0].DTS {
			best = i
		}
	}
	if best < 0 {
		return producer.Frame{}, false
	}
	f := m.queues[best][0]
	m.queues[best][0] = producer.Frame{}
	m.queues[best] = m.queues[best][1:]
	m.buffered--
	return f, true
}

// normalised makes the timestamps of a source relative to its first frame
// and makes the video start at a key frame. Everything before the first
// video key frame is dropped: a decoder could not use it, and a KVS
// fragment must start with one.
type normalised struct {
	Source
	video   map[uint64]bool
	offset  time.Duration
	started bool
	lastDTS map[uint64]time.Duration
	log     *slog.Logger
}

func newNormalised(src Source, log *slog.Logger) *normalised {
	n := &normalised{Source: src, video: map[uint64]bool{}, lastDTS: map[uint64]time.Duration{}, log: log}
	for _, t := range src.Tracks() {
		n.video[t.ID] = t.Type == producer.TrackVideo
	}
	return n
}

func (n *normalised) Next(ctx context.Context) (producer.Frame, error) {
	dropped := 0
	for {
		f, err := n.Source.Next(ctx)
		if err != nil {
			if errors.Is(err, io.EOF) && !n.started {
				return producer.Frame{}, fmt.Errorf("%d frames and no video key frame among them: %w", dropped, ErrNoKeyFrame)
			}
			return producer.Frame{}, err
		}
		if !n.started {
			if !n.video[f.TrackID] || !f.Key() {
				dropped++
				continue
			}
			if dropped > 0 {
				n.log.Warn("dropped frames before the first key frame", "count", dropped)
			}
			n.started, n.offset = true, f.DTS
		}
		f.DTS -= n.offset
		f.PTS -= n.offset
		// Keep each track's DTS non-negative and non-decreasing and PTS not
		// before DTS, whatever the input said: the Matroska writer needs it.
		f.DTS = max(f.DTS, 0, n.lastDTS[f.TrackID])
		f.PTS = max(f.PTS, f.DTS)
		n.lastDTS[f.TrackID] = f.DTS
		return f, nil
	}
}

// Duration forwards the length of the wrapped source, 0 if unknown.
func (n *normalised) Duration() time.Duration { return sourceDuration(n.Source) }

// paced returns each frame no earlier than its DTS after the first frame
// was returned, so a file uploads at the speed it plays.
type paced struct {
	Source
	start time.Time
}

func (p *paced) Next(ctx context.Context) (producer.Frame, error) {
	f, err := p.Source.Next(ctx)
	if err != nil {
		return f, err
	}
	if p.start.IsZero() {
		p.start = time.Now().Add(-f.DTS)
		return f, nil
	}
	wait := time.Until(p.start.Add(f.DTS))
	if wait <= 0 {
		return f, nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return f, nil
	case <-ctx.Done():
		return producer.Frame{}, ctx.Err()
	}
}

// Duration forwards the length of the wrapped source, 0 if unknown.
func (p *paced) Duration() time.Duration { return sourceDuration(p.Source) }
