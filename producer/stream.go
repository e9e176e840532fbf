package producer

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/openkvs/openkvs/mkv"
)

// Stream uploads the frames of one stream. Create it with
// Producer.NewStream; its methods are safe for concurrent use.
type Stream struct {
	def       StreamDefinition // with defaults
	fragTrack uint64
	// base is added to frame times (ms) to give cluster timecodes: the
	// origin's Unix milliseconds with absolute fragment times, else 0.
	base int64
	// releaseOnReceived is set for streams without retention, which never
	// get PERSISTED.
	releaseOnReceived bool
	events            *eventQueue
	up                *uploader // nil in unit tests without a server

	mu      sync.Mutex
	changed chan struct{} // closed on every change the uploader waits for
	tracks  map[uint64]*trackState
	w       *mkv.Writer // writes into cur
	cur     *fragment   // the open fragment, also in store
	seq     uint64
	// waitKey is set after a refused frame: frames are refused until the
	// next fragment starts, since later frames of the GOP would reference
	// the missing one.
	waitKey bool
	header  []byte // EBML header, Segment start, Info, Tracks
	// scratch holds the frame being put, in the form it is sent, until
	// the Matroska writer copies it into the fragment.
	scratch []byte
	// lastSize is the size of the latest sealed fragment: a new fragment's
	// buffer starts at about that size instead of growing by doubling,
	// which copied every octet twice more and made the garbage of it.
	lastSize int
	// spares are buffers for the next fragments: those of acknowledged
	// fragments, and those NewStream prepared (AverageBitrate). Writing
	// into fresh memory cost a page fault every 4 KiB, and at 500 streams
	// that was half of a load generator's CPU.
	spares      [][]byte
	store       *contentStore
	head        time.Duration // newest frame time
	meta        metadataQueue
	closing     bool
	failed      error
	latencyHigh bool
	// sendSeq and sendOff are the uploader's position, for the metrics.
	sendSeq uint64
	sendOff int
	m       StreamMetrics
	frames  rateMeter
	sent    rateMeter
}

// trackState is what the stream keeps per track.
type trackState struct {
	Track
	hasLast bool
	lastDTS time.Duration
	// curMax is the latest frame time (ms) in the open fragment; prevMax
	// the latest in the fragments before. KVS rejects a fragment with 4004
	// unless each track's frames come after that track's frames of the
	// previous fragment, so the library checks it first.
	curMax, prevMax int64
	hasCur, hasPrev bool
}

// firstFragmentCap is the buffer a stream's first fragment starts with,
// before the stream's fragment size is known: a 1 s fragment of 2 Mbps fits.
const firstFragmentCap = 256 << 10

// fragmentSink appends the mkv.Writer's output to the open fragment.
type fragmentSink struct{ s *Stream }

func (k fragmentSink) Write(p []byte) (int, error) {
	f := k.s.cur
	f.data = appendFragment(f.data, p)
	k.s.store.grew(len(p))
	return len(p), nil
}

// newStream prepares a stream from a definition that has its defaults and
// was validated.
func newStream(def StreamDefinition) (*Stream, error) {
	s := &Stream{
		def:       def,
		fragTrack: def.fragmentingTrack(),
		events:    newEventQueue(),
		changed:   make(chan struct{}),
		tracks:    map[uint64]*trackState{},
		store:     newContentStore(def.MaxBufferBytes, def.BufferDuration),
		meta:      metadataQueue{},
	}
	if !def.RelativeFragmentTimes {
		s.base = def.Origin.UnixMilli()
	}
	s.w = mkv.NewWriter(fragmentSink{s})
	for _, t := range def.Tracks {
		cpd, err := adaptCodecPrivate(t.CodecID, def.NALAdaptation, t.CodecPrivate)
		if err != nil {
			s.events.close()
			return nil, fmt.Errorf("track %d: %w", t.ID, err)
		}
		t.CodecPrivate = cpd
		s.tracks[t.ID] = &trackState{Track: t}
	}
	s.prepareBuffers()
	return s, nil
}

// Name returns the stream name.
func (s *Stream) Name() string { return s.def.Name }

// notify wakes the uploader; s.mu must be held.
func (s *Stream) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// PutFrame adds a frame to the stream. It returns once the frame is in the
// content store, without waiting for the network. A refused frame (see the
// Err* sentinels) is also reported to Callbacks.FrameDropped; the stream
// goes on, except after ErrStreamFailed. The context is not used for
// waiting today (PutFrame never blocks on the network) and is accepted for
// future back-pressure.
func (s *Stream) PutFrame(ctx context.Context, f Frame) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	dropped, err := s.putFrame(&f)
	if err != nil {
		s.m.FramesDropped++
	}
	s.mu.Unlock()
	s.reportDropped(dropped, ErrStorageFull)
	if err != nil {
		if cb := s.def.Callbacks.FrameDropped; cb != nil {
			id, pts := f.TrackID, f.PTS
			s.events.push(func() { cb(id, pts, err) })
		}
	}
	return err
}

// EndFragment completes the fragment in progress now, instead of when the
// next fragment's first frame is put, so that it is sent, and acknowledged,
// one frame interval sooner. Call it when the encoder knows that the next
// frame is a key frame (the end of a GOP, or of the media): the next frame
// of the fragmenting track must then be a key frame, and frames put before
// it are refused. Without a fragment in progress it does nothing.
func (s *Stream) EndFragment() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur != nil {
		s.sealFragment()
	}
}

func (s *Stream) putFrame(f *Frame) (dropped []*fragment, err error) {
	if s.failed != nil {
		return nil, s.failed
	}
	if s.closing {
		return nil, ErrClosed
	}
	ts := s.tracks[f.TrackID]
	if ts == nil {
		return nil, fmt.Errorf("track %d is not in the stream definition: %w", f.TrackID, ErrInvalidFrame)
	}
	if len(f.Data) == 0 {
		return nil, fmt.Errorf("track %d: empty frame: %w", f.TrackID, ErrInvalidFrame)
	}
	if s.def.NoFrameTimecodes {
		now := time.Since(s.def.Origin)
		if ts.hasLast && now < ts.lastDTS+time.Millisecond {
			// Frames put within one millisecond still get increasing
			// timecodes.
			now = ts.lastDTS + time.Millisecond
		}
		f.DTS, f.PTS = now, now
	}
	if ts.hasLast && f.DTS < ts.lastDTS {
		return nil, fmt.Errorf("track %d: DTS %s before the previous frame's %s: %w", f.TrackID, f.DTS, ts.lastDTS, ErrTimestampOrder)
	}
	payload, err := adaptFrame(s.scratch[:0], ts.CodecID, s.def.NALAdaptation, f.Data)
	if err != nil {
		return nil, err
	}
	s.scratch = payload
	start, err := s.fragmentStart(f)
	if err != nil {
		return nil, err
	}
	if start {
		if err := checkStart(f); err != nil {
			return nil, err
		}
	}
	ms := s.base + floorMS(f.PTS)
	prevMax, hasPrev := ts.prevMax, ts.hasPrev
	if start && ts.hasCur {
		prevMax, hasPrev = ts.curMax, true
	}
	if hasPrev && ms <= prevMax {
		return nil, fmt.Errorf("track %d: frame at %d ms not after the previous fragment's last frame at %d ms (ErrorId 4004): %w",
			f.TrackID, ms, prevMax, ErrTimestampOrder)
	}
	var rel int64
	if !start {
		rel = ms - s.cur.timecode
		if rel < -32768 || rel > 32767 {
			return nil, fmt.Errorf("track %d: frame %d ms from its cluster start: %w", f.TrackID, rel, ErrTimestampOrder)
		}
	}

	// Room for the frame: the SimpleBlock header is at most 14 octets.
	need := int64(len(payload)) + 16
	if start {
		need += 64 // Cluster header, Timestamp, the previous fragment's Tags
	}
	head := max(s.head, f.PTS)
	dropped, fits := s.store.makeRoom(need, head)
	if !fits {
		s.stopFragment()
		return dropped, fmt.Errorf("frame of %d octets with %d buffered (max %d): %w", len(payload), s.store.bytes, s.store.maxBytes, ErrStorageFull)
	}

	if start {
		if s.header == nil {
			if err := s.buildHeader(f); err != nil {
				return dropped, err
			}
		}
		s.sealFragment()
		s.openFragment(f, ms)
	}
	var flags uint8
	if f.Key() {
		flags |= mkv.FlagKeyframe
	}
	if f.Flags&FrameDiscardable != 0 {
		flags |= mkv.FlagDiscardable
	}
	_ = s.w.WriteSimpleBlock(f.TrackID, int16(ms-s.cur.timecode), flags, payload)
	cur := s.cur
	cur.frames++
	cur.end = max(cur.end, f.PTS)
	ts.hasLast, ts.lastDTS = true, f.DTS
	if !ts.hasCur || ms > ts.curMax {
		ts.curMax, ts.hasCur = ms, true
	}
	s.head = head
	s.m.FramesPut++
	s.frames.add(time.Now(), 1)
	// The duration bound, now that the head moved.
	more, _ := s.store.makeRoom(0, s.head)
	dropped = append(dropped, more...)
	s.checkLatency()
	s.notify()
	return dropped, nil
}

// floorMS converts a stream time to whole milliseconds, rounding down also
// below zero.
func floorMS(d time.Duration) int64 {
	ms := int64(d / time.Millisecond)
	if d < 0 && d%time.Millisecond != 0 {
		ms--
	}
	return ms
}

// fragmentStart decides whether f starts a new fragment.
func (s *Stream) fragmentStart(f *Frame) (bool, error) {
	fragTrack := f.TrackID == s.fragTrack
	if s.cur == nil || s.waitKey {
		if fragTrack && f.Key() {
			return true, nil
		}
		return false, fmt.Errorf("track %d: waiting for a key frame of track %d to start a fragment: %w", f.TrackID, s.fragTrack, ErrInvalidFrame)
	}
	elapsed := f.PTS - s.cur.start
	if fragTrack && f.Key() && (!s.def.NoKeyFrameFragmentation || elapsed >= s.def.FragmentDuration) {
		return true, nil
	}
	// A fragment's length counts its last frame's duration too, so a frame
	// at exactly MaxFragmentDuration would make it too long. Relative
	// block timecodes are 16-bit milliseconds.
	if elapsed < s.def.MaxFragmentDuration && floorMS(f.PTS)+s.base-s.cur.timecode <= 32767 {
		return false, nil
	}
	if s.def.ForceFragment && fragTrack {
		return true, nil
	}
	s.stopFragment()
	return false, fmt.Errorf("track %d: frame %s after its fragment start: %w", f.TrackID, elapsed, ErrFragmentTooLong)
}

// checkStart checks a frame that starts a fragment.
func checkStart(f *Frame) error {
	if f.Key() && f.PTS != f.DTS {
		return fmt.Errorf("track %d: key frame starting a fragment has PTS %s != DTS %s: %w", f.TrackID, f.PTS, f.DTS, ErrInvalidFrame)
	}
	return nil
}

// buildHeader writes the MKV header once the first fragment starts, with
// codec private data taken from the first key frame where none was given.
func (s *Stream) buildHeader(f *Frame) error {
	var entries []mkv.TrackEntry
	for _, t := range s.def.Tracks {
		ts := s.tracks[t.ID]
		if ts.CodecPrivate == nil && isNALCodec(ts.CodecID) && t.ID == f.TrackID {
			ps := collectParameterSets(ts.CodecID, frameUnits(s.def.NALAdaptation, f.Data))
			cpd, err := ps.record(ts.CodecID)
			if err != nil {
				return fmt.Errorf("track %d: codec private data from the first key frame: %w", t.ID, err)
			}
			ts.CodecPrivate = cpd
		}
		e := mkv.TrackEntry{Number: t.ID, UID: t.ID, Type: uint64(t.Type), Name: t.Name, CodecID: t.CodecID, CodecPrivate: ts.CodecPrivate}
		switch t.Type {
		case TrackVideo:
			w, h := t.Width, t.Height
			if (w == 0 || h == 0) && len(ts.CodecPrivate) > 0 {
				if pw, ph, err := videoSize(t.CodecID, ts.CodecPrivate); err == nil {
					w, h = pw, ph
				}
			}
			e.Video = &mkv.Video{PixelWidth: uint64(w), PixelHeight: uint64(h)}
		case TrackAudio:
			e.Audio = &mkv.Audio{SamplingFrequency: t.SampleRate, Channels: uint64(max(t.Channels, 1)), BitDepth: uint64(t.BitDepth)}
		}
		entries = append(entries, e)
	}
	var buf byteSink
	w := mkv.NewWriter(&buf)
	_ = w.WriteEBMLHeader(mkv.EBMLHeader{DocType: "matroska", DocTypeVersion: 2, DocTypeReadVersion: 2})
	_ = w.StartSegment(true)
	// A fixed SegmentUUID per stream keeps the header the same on every
	// connection.
	uid := make([]byte, 16)
	putUint64(uid, uint64(s.def.Origin.UnixNano()))
	putUint64(uid[8:], uint64(len(s.def.Name))<<32|uint64(s.fragTrack))
	_ = w.WriteInfo(mkv.Info{SegmentUUID: uid, TimestampScale: 1_000_000, Title: "Kinesis Video SDK",
		MuxingApp: "openkvs producer", WritingApp: "openkvs producer"})
	if err := w.WriteTracks(mkv.Tracks{Entries: entries}); err != nil {
		return fmt.Errorf("write tracks: %w", err)
	}
	s.header = buf
	return nil
}

type byteSink []byte

func (b *byteSink) Write(p []byte) (int, error) { *b = append(*b, p...); return len(p), nil }

func putUint64(b []byte, v uint64) {
	for i := range 8 {
		b[i] = byte(v >> (56 - 8*i))
	}
}

// openFragment starts a fragment at f, whose timecode is ms.
func (s *Stream) openFragment(f *Frame, ms int64) {
	s.seq++
	s.cur = &fragment{seq: s.seq, timecode: ms, start: f.PTS, end: f.PTS, putAt: time.Now()}
	s.cur.data = s.fragmentBuffer()
	s.store.add(s.cur)
	s.waitKey = false
	_ = s.w.StartCluster(uint64(ms), true)
}

// fragmentBuffer returns an empty buffer for a new fragment: a spare that
// holds the last fragment's size (any spare for the first fragment), or a
// new one of about that size.
func (s *Stream) fragmentBuffer() []byte {
	for i, b := range s.spares {
		if cap(b) >= s.lastSize {
			s.spares = slices.Delete(s.spares, i, i+1)
			return b[:0]
		}
	}
	if s.lastSize > 0 {
		return newFragmentBuffer(s.lastSize + s.lastSize/8)
	}
	return newFragmentBuffer(firstFragmentCap)
}

// keepSpare keeps b, the buffer of an acknowledged fragment, for a later
// fragment, unless maxSpares larger ones are kept already.
func (s *Stream) keepSpare(b []byte) {
	if len(s.spares) < maxSpares {
		s.spares = append(s.spares, b[:0])
		return
	}
	i := slices.IndexFunc(s.spares, func(x []byte) bool { return cap(x) < cap(b) })
	if i >= 0 {
		s.spares[i] = b[:0]
	}
}

// maxSpares is how many fragment buffers a stream keeps: the fragment being
// put and the one awaiting its ack.
const maxSpares = 2

// prepareBuffers allocates the buffers of the first fragments at the
// size AverageBitrate gives, and writes to every page, so that the pages
// are in place before the first frame.
func (s *Stream) prepareBuffers() {
	if s.def.AverageBitrate <= 0 {
		return
	}
	// In float64: a bitrate near the int64 limit must not overflow.
	size := float64(s.def.AverageBitrate) / 8 * s.def.FragmentDuration.Seconds() * 9 / 8
	size += fragmentOverhead
	if size > float64(s.def.MaxBufferBytes/maxSpares) {
		return
	}
	for range maxSpares {
		b := newFragmentBuffer(int(size))
		clear(b[:cap(b)])
		s.spares = append(s.spares, b)
	}
}

// fragmentOverhead is room for a fragment's Matroska framing and tags
// beyond its frames.
const fragmentOverhead = 16 << 10

// sealFragment ends the open fragment, if any: it closes the Cluster and
// writes the metadata and the END_OF_FRAGMENT tag, so that the service
// completes the fragment at once instead of at the next Cluster.
func (s *Stream) sealFragment() {
	f := s.cur
	if f == nil {
		return
	}
	_ = s.w.EndMaster()
	for _, it := range s.meta.take() {
		_ = s.w.WriteTags(mkv.Tags{Tags: []mkv.Tag{{SimpleTags: []mkv.SimpleTag{{Name: it.name, String: it.value}}}}})
	}
	_ = s.w.WriteTags(mkv.Tags{Tags: []mkv.Tag{{SimpleTags: []mkv.SimpleTag{{Name: mkv.TagEndOfFragment}}}}})
	f.sealed = true
	s.lastSize = len(f.data)
	s.cur = nil
	for _, ts := range s.tracks {
		if ts.hasCur {
			ts.prevMax, ts.hasPrev, ts.hasCur = ts.curMax, true, false
		}
	}
	s.m.FragmentsPut++
	s.notify()
}

// stopFragment seals the open fragment after a refused frame and refuses
// frames until the next key frame.
func (s *Stream) stopFragment() {
	s.sealFragment()
	s.waitKey = true
}

// checkLatency calls LatencyPressure when the unsent duration first
// exceeds MaxLatency.
func (s *Stream) checkLatency() {
	if s.def.MaxLatency <= 0 {
		return
	}
	d, _ := s.currentView()
	high := d > s.def.MaxLatency
	if high && !s.latencyHigh {
		if cb := s.def.Callbacks.LatencyPressure; cb != nil {
			s.events.push(func() { cb(d) })
		}
	}
	s.latencyHigh = high
}

// currentView returns the duration and size buffered and not yet sent.
func (s *Stream) currentView() (time.Duration, int64) {
	var d time.Duration
	var n int64
	first := true
	for _, f := range s.store.frags {
		if f.seq < s.sendSeq || f.sends > 0 {
			continue
		}
		off := 0
		if f.seq == s.sendSeq {
			off = min(s.sendOff, len(f.data))
		}
		if first {
			d = s.head - f.start
			first = false
		}
		n += int64(len(f.data) - off)
	}
	return d, n
}

// reportDropped reports fragments dropped unacknowledged.
func (s *Stream) reportDropped(frags []*fragment, reason error) {
	if len(frags) == 0 {
		return
	}
	s.mu.Lock()
	for _, f := range frags {
		s.m.FragmentsDropped++
		s.m.FramesDropped += uint64(f.frames)
	}
	s.mu.Unlock()
	if cb := s.def.Callbacks.FragmentDropped; cb != nil {
		for _, f := range frags {
			info := f.info()
			s.events.push(func() { cb(info, reason) })
		}
	}
}

// Metrics returns the stream's metrics.
func (s *Stream) Metrics() StreamMetrics {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.m
	now := time.Now()
	m.CurrentViewDuration, m.CurrentViewSize = s.currentView()
	m.OverallViewDuration, m.OverallViewSize = s.store.duration(s.head), s.store.bytes
	m.CurrentFrameRate = s.frames.current(now)
	m.CurrentTransferRate = s.sent.current(now)
	return m
}
