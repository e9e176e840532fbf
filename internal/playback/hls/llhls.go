package hls

import (
	"context"
	"sync"
	"time"

	"github.com/openkvs/openkvs/internal/live"
	"github.com/openkvs/openkvs/internal/playback"
)

// Live is where low-latency sessions get a stream's frames as they arrive
// (live.Hub).
type Live interface {
	Subscribe(stream string) *live.Subscription
}

// Low-latency HLS (RFC 8216bis §4.4.4.9, the partial segments of
// draft-pantos-hls-rfc8216bis): a fragment in progress is served as
// parts of PartTarget from the frames ingest has passed on so far, before
// it is complete and stored.
const (
	// partWindow is the span of presentation time, from the fragment's
	// start, that one part covers.
	partWindow = 200 * time.Millisecond
	// PartTarget is EXT-X-PART-INF's PART-TARGET: a part holds the frames
	// that start within partWindow, so an audio part can last one frame
	// longer than it (AAC: 23 ms).
	PartTarget = 250 * time.Millisecond
	// partHoldBack is how far behind the live edge a player starts: the
	// 3 part targets the specification asks for at least.
	partHoldBack = 3 * PartTarget
	// blockLimit bounds a blocking playlist reload or part request; the
	// specification asks for at least three target durations before a
	// server gives up, and the player asks again either way.
	blockLimit = 3 * time.Second
	// nextFragmentWait bounds how long a playlist that is otherwise ready
	// waits for the next fragment to begin, so that it can hint the
	// fragment's first part: a camera sends the next frame within one
	// frame interval, and 250 ms covers 4 frames per second.
	nextFragmentWait = PartTarget
	// storeRecheck is how often a playlist waiting for an ended fragment
	// to be stored looks again.
	storeRecheck = 5 * time.Millisecond
	// trackerIdle ends a stream's subscription once no low-latency
	// request has used it for that long.
	trackerIdle = 30 * time.Second
)

// partial is a stream's fragment in progress, as far as it has arrived.
type partial struct {
	info   live.FragmentInfo
	frag   playback.Fragment
	ended  bool
	header *playback.Header
}

// tracker follows one stream's hub events for low-latency sessions.
type tracker struct {
	mu  sync.Mutex
	cur *partial
	// prev is the fragment before cur, ended: it stays until the store
	// lists it, so that a playlist never numbers cur in its place.
	prev    *partial
	data    []byte
	changed chan struct{} // closed at every change, then replaced
	used    time.Time
	done    bool
}

// trackers is the Service's set of followed streams.
type trackers struct {
	live Live
	stop chan struct{} // closed by Service.Close
	once sync.Once
	mu   sync.Mutex
	m    map[string]*tracker
}

// get returns the stream's tracker, subscribing on first use.
func (ts *trackers) get(stream string) *tracker {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if t := ts.m[stream]; t != nil {
		t.mu.Lock()
		t.used = time.Now()
		t.mu.Unlock()
		return t
	}
	t := &tracker{changed: make(chan struct{}), used: time.Now()}
	ts.m[stream] = t
	sub := ts.live.Subscribe(stream)
	// The subscription starts with the fragment in progress; take it in
	// now so that the first playlist already shows its parts.
	for drained := false; !drained; {
		select {
		case ev, ok := <-sub.C:
			if !ok {
				drained = true
				break
			}
			t.apply(ev)
		default:
			drained = true
		}
	}
	go ts.follow(stream, t, sub)
	return t
}

// follow demuxes the stream's fragment in progress after every piece that
// arrives. Re-demuxing the whole prefix each time costs a copy of the
// fragment so far per frame, which for one fragment of a camera stream is
// small beside the network writes it feeds.
func (ts *trackers) follow(stream string, t *tracker, sub *live.Subscription) {
	defer func() {
		sub.Close()
		ts.mu.Lock()
		if ts.m[stream] == t {
			delete(ts.m, stream)
		}
		ts.mu.Unlock()
		t.mu.Lock()
		t.done = true
		close(t.changed)
		t.changed = make(chan struct{})
		t.mu.Unlock()
	}()
	idle := time.NewTicker(trackerIdle / 3)
	defer idle.Stop()
	for {
		select {
		case ev, ok := <-sub.C:
			if !ok {
				return // lagged: the next request subscribes again
			}
			t.apply(ev)
		case <-ts.stop:
			return
		case <-idle.C:
			t.mu.Lock()
			stale := time.Since(t.used) > trackerIdle
			t.mu.Unlock()
			if stale {
				return
			}
		}
	}
}

func (t *tracker) apply(ev live.Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch ev.Kind {
	case live.FragmentBegin:
		h, err := playback.ParseHeader(ev.Info.Header)
		if err != nil || h.Check(playback.APIHLS) != nil {
			t.cur, t.prev = nil, nil
			break
		}
		if t.cur != nil && t.cur.ended {
			t.prev = t.cur
		}
		t.cur = &partial{info: ev.Info, header: h}
		t.data = t.data[:0]
	case live.FragmentData:
		if t.cur == nil || t.cur.ended {
			return
		}
		t.data = append(t.data, ev.Data...)
		// A fresh Fragment each time: requests may hold the previous one.
		var f playback.Fragment
		if playback.DemuxPartial(t.cur.header, t.data, t.cur.info.Number, &f) != nil {
			return
		}
		p := *t.cur
		p.frag = f
		t.cur = &p
	case live.FragmentEnd:
		if t.cur == nil {
			return
		}
		p := *t.cur
		p.ended = true
		t.cur = &p
	}
	close(t.changed)
	t.changed = make(chan struct{})
}

// snapshot returns the oldest fragment that ingest has passed on but
// that is not stored yet as far as the caller knows (stored reports
// whether the store lists a fragment number), or nil, and a channel
// closed at the next change. Between a fragment's end and its commit the
// next one may already be arriving; the playlist must show the ended one
// first, or it would number the new one in its place.
func (t *tracker) snapshot(stored func(uint64) bool) (*partial, <-chan struct{}) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.used = time.Now()
	if t.prev != nil && !stored(t.prev.info.Number) {
		return t.prev, t.changed
	}
	if t.cur != nil && stored(t.cur.info.Number) {
		return nil, t.changed
	}
	return t.cur, t.changed
}

// find returns the fragment number if the tracker holds it.
func (t *tracker) find(number uint64) (*partial, <-chan struct{}) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.used = time.Now()
	for _, p := range []*partial{t.cur, t.prev} {
		if p != nil && p.info.Number == number {
			return p, t.changed
		}
	}
	return nil, t.changed
}

// parts is how many parts of track ti a fragment has complete: part i
// holds the frames starting in [i, i+1) × partWindow, and is complete once
// a frame of the track starts at or after its end, or the fragment ended.
func parts(f *playback.Fragment, ti int, ended bool) int {
	last := int64(-1)
	for _, fr := range f.Frames {
		if fr.Track == ti {
			last = max(last, fr.PTS)
		}
	}
	if last < 0 {
		return 0
	}
	n := int(last / int64(partWindow))
	if ended {
		n++
	}
	return n
}

// partSamples returns the samples of track ti in part i of the fragment,
// timed as the whole fragment's (CMAF) samples are, so that the parts and
// the complete segment line up exactly.
func partSamples(f *playback.Fragment, ti, i int, last bool) []playback.Sample {
	all := f.CMAFSamples(ti, nil)
	var frames []int64
	for _, fr := range f.Frames {
		if fr.Track == ti {
			frames = append(frames, fr.PTS)
		}
	}
	// all[k] is stored frame k of the track. Its decode time is the k-th
	// smallest presentation time of the frames so far, which later frames
	// do not change only without B-frames; low-latency encoders have none,
	// and a part cannot end between a frame and the one it is reordered
	// with anyway.
	lo, hi := int64(i)*int64(partWindow), int64(i+1)*int64(partWindow)
	var out []playback.Sample
	for k := range all {
		if k >= len(frames) {
			break
		}
		if frames[k] >= lo && (last || frames[k] < hi) {
			out = append(out, all[k])
		}
	}
	return out
}

// waitChange waits for ch, ctx or the deadline; it reports false when the
// wait should end.
func waitChange(ctx context.Context, ch <-chan struct{}, deadline time.Time) bool {
	d := time.Until(deadline)
	if d <= 0 {
		return false
	}
	// Stored fragments change the playlist without a hub event of ours
	// after End, so look again at least every 50 ms.
	tm := time.NewTimer(min(d, 50*time.Millisecond))
	defer tm.Stop()
	select {
	case <-ch:
	case <-tm.C:
	case <-ctx.Done():
		return false
	}
	return true
}
