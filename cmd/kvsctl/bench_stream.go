package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/openkvs/openkvs/producer"
)

// interruptedAckWait bounds the wait for acks after an interrupt.
const interruptedAckWait = 3 * time.Second

// Unthrottled back-pressure. PutFrame never blocks on the network and the
// library drops the oldest fragments when its content store is over its
// bounds, so a sender that outruns the connection must wait by itself, or
// the run would measure drops instead of throughput.
const (
	minSendWindow   = 8 << 20           // buffered octets a stream may have outstanding
	benchBufferTime = 120 * time.Second // StreamDefinition.BufferDuration
	ackPoll         = 20 * time.Millisecond
)

// fragmentRecord is what a stream knows about one fragment it made.
type fragmentRecord struct {
	timecode int64 // cluster timecode, epoch ms: the acks' FragmentTimecode
	// lastFrameIn is taken just before PutFrame of the fragment's last
	// frame; zero until then.
	lastFrameIn time.Time
	// firstByte is when the fragment's first octet went out (its first
	// send), lastByte when its last octet went out (its latest complete
	// send); both come from the body tap.
	firstByte, lastByte time.Time
	sends               int
	number              string // FragmentNumber of the first ack that had one

	buffering, received, persisted time.Time // first ack of each type
	persistedCount                 int
	numberChanged                  bool // acks gave two different numbers
	errored                        bool
}

// streamRun is one stream of the benchmark: its producer.Stream, the
// fragments it made and the acks it got.
type streamRun struct {
	name   string
	stream *producer.Stream
	// acked is signalled (without blocking) on every PERSISTED or ERROR
	// ack: buffered octets may have been released.
	acked chan struct{}

	mu         sync.Mutex
	frags      []*fragmentRecord
	byTimecode map[int64]*fragmentRecord
	unmatched  int            // acks for no fragment this stream made
	errorAcks  map[string]int // "<ErrorId> <ErrorCode>" -> count
	errs       []string       // distinct errors the library reported
	droppedFr  int            // frames refused by PutFrame
	// From the body tap.
	firstWrite, lastWrite time.Time
	bytes                 int64

	// Set by the sending goroutine; read after it is joined.
	sendErr  error
	closeErr error
	metrics  producer.StreamMetrics
}

func newStreamRun(name string) *streamRun {
	return &streamRun{
		name: name, acked: make(chan struct{}, 1), byTimecode: map[int64]*fragmentRecord{},
		errorAcks: map[string]int{},
	}
}

// callbacks are the stream's callbacks; they record acks and errors.
func (s *streamRun) callbacks() producer.Callbacks {
	return producer.Callbacks{
		FragmentAck: s.onAck,
		Error:       func(err error) { s.noteError(err) },
		FragmentDropped: func(fi producer.FragmentInfo, err error) {
			s.noteError(fmt.Errorf("fragment %d dropped: %w", fi.Timecode, err))
		},
		FrameDropped: func(_ uint64, pts time.Duration, err error) {
			s.mu.Lock()
			s.droppedFr++
			s.mu.Unlock()
			s.noteError(fmt.Errorf("frame at %s refused: %w", pts, err))
		},
	}
}

// noteError keeps the first few distinct error texts.
func (s *streamRun) noteError(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if msg := err.Error(); len(s.errs) < maxReportedErrors && !slices.Contains(s.errs, msg) {
		s.errs = append(s.errs, msg)
	}
}

// onAck records an ack. The library calls it on the stream's callback
// goroutine, shortly after the ack line was read.
func (s *streamRun) onAck(a producer.Ack) {
	at := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if a.Event == producer.EventPersisted || a.Event == producer.EventError {
		select {
		case s.acked <- struct{}{}:
		default:
		}
	}
	if a.Event == producer.EventError {
		s.errorAcks[fmt.Sprintf("%d %s", a.ErrorID, a.ErrorCode)]++
	}
	// Ack.FragmentTimecode is 0 when the ack had none (an ERROR about the
	// whole session); no fragment of a run has timecode 0.
	f := s.byTimecode[a.FragmentTimecode]
	if f == nil {
		if a.Event != producer.EventError || a.FragmentTimecode != 0 {
			s.unmatched++
		}
		return
	}
	if a.FragmentNumber != "" {
		if f.number == "" {
			f.number = a.FragmentNumber
		} else if f.number != a.FragmentNumber {
			f.numberChanged = true
		}
	}
	switch a.Event {
	case producer.EventBuffering:
		if f.buffering.IsZero() {
			f.buffering = at
		}
	case producer.EventReceived:
		if f.received.IsZero() {
			f.received = at
		}
	case producer.EventPersisted:
		f.persistedCount++
		if f.persisted.IsZero() {
			f.persisted = at
		}
	case producer.EventError:
		f.errored = true
	}
}

// bodyOctets counts n body octets that went out at now.
func (s *streamRun) bodyOctets(n int, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bytes += int64(n)
	if s.firstWrite.IsZero() {
		s.firstWrite = now
	}
	s.lastWrite = now
}

// fragmentStarted records that the first octets of the Cluster with
// timecode tc went out at now. It reports whether tc is a fragment of the
// stream.
func (s *streamRun) fragmentStarted(tc int64, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.byTimecode[tc]
	if f != nil && f.firstByte.IsZero() {
		f.firstByte = now
	}
	return f != nil
}

// fragmentSent records that the last octet of the fragment with timecode
// tc (its END_OF_FRAGMENT tag) went out at now.
func (s *streamRun) fragmentSent(tc int64, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.byTimecode[tc]; f != nil {
		f.lastByte = now
		f.sends++
	}
}

// addFragment registers the fragment with timecode tc before its first
// frame is put, so that the tap and the acks find it.
func (s *streamRun) addFragment(tc int64) *fragmentRecord {
	rec := &fragmentRecord{timecode: tc}
	s.mu.Lock()
	s.frags = append(s.frags, rec)
	s.byTimecode[tc] = rec
	s.mu.Unlock()
	return rec
}

// sendWindow is how many buffered octets an unthrottled stream may have
// outstanding before it waits for acks.
func sendWindow(plan *mediaPlan) int64 { return max(minSendWindow, 2*plan.fragmentBytes) }

// maxBufferBytes sizes the content store so that the send window and the
// fragment being filled always fit: nothing is dropped for room.
func maxBufferBytes(plan *mediaPlan) int64 {
	return max(producer.DefaultMaxBufferBytes, 2*sendWindow(plan)+2*plan.fragmentBytes)
}

// send puts every frame of the plan. Frame k of the plan has the stream time
// offset + plan.frameOffset(k), and is put at that wall-clock time after
// origin unless unthrottled. It stops early when ctx ends or the stream
// fails.
func (s *streamRun) send(ctx context.Context, plan *mediaPlan, origin time.Time, offset time.Duration, unthrottled bool) error {
	originMS := origin.UnixMilli()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	window := sendWindow(plan)
	for k := range plan.numFragments() {
		frames := plan.fragment(k)
		first := k * plan.framesPerFragment
		// Absolute fragment times: the library's cluster timecode is
		// Origin plus the first frame's time in whole milliseconds.
		rec := s.addFragment(originMS + int64((offset+plan.frameOffset(first))/time.Millisecond))
		for j, fr := range frames {
			at := offset + plan.frameOffset(first+j)
			if !unthrottled {
				if d := time.Until(origin.Add(at)); d > 0 {
					timer.Reset(d)
					select {
					case <-timer.C:
					case <-ctx.Done():
						return nil
					}
				}
			} else if !s.waitRoom(ctx, window) {
				return nil
			}
			f := producer.Frame{TrackID: 1, DTS: at, PTS: at, Data: fr.Data}
			if fr.Key {
				f.Flags = producer.FrameKey
			}
			last := j == len(frames)-1
			var in time.Time
			if last {
				in = time.Now()
			}
			if err := s.stream.PutFrame(ctx, f); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				// The library goes on after a refused frame, but the
				// plan's fragments would no longer match what it sends.
				return fmt.Errorf("%s: %w", s.name, err)
			}
			if last {
				s.mu.Lock()
				rec.lastFrameIn = in
				s.mu.Unlock()
				// The plan knows where its fragments end: complete this one
				// now rather than when the next one's first frame is put, as
				// an encoder does at the end of a GOP.
				if k+1 == plan.numFragments() || plan.fragment(k + 1)[0].Key {
					s.stream.EndFragment()
				}
			}
		}
	}
	return nil
}

// waitRoom waits until the stream has less than window octets or half its
// buffer duration outstanding. It returns false when ctx ended.
func (s *streamRun) waitRoom(ctx context.Context, window int64) bool {
	for {
		if ctx.Err() != nil {
			return false
		}
		m := s.stream.Metrics()
		if m.OverallViewSize < window && m.OverallViewDuration < benchBufferTime/2 {
			return true
		}
		// Room comes with acks; the poll covers a missed signal.
		select {
		case <-s.acked:
		case <-time.After(ackPoll):
		case <-ctx.Done():
			return false
		}
	}
}

// definition describes the stream: one H.264 track with the source's
// CodecPrivate, fragments where the plan starts them, timestamps from
// origin.
func (s *streamRun) definition(src *mediaSource, plan *mediaPlan, origin time.Time, retentionHours int) producer.StreamDefinition {
	return producer.StreamDefinition{
		Name:      s.name,
		Retention: time.Duration(retentionHours) * time.Hour,
		Tracks: []producer.Track{{
			ID: 1, Name: producer.DefaultTrackName, CodecID: producer.CodecH264, Type: producer.TrackVideo,
			CodecPrivate: src.CodecPrivate, Width: src.Width, Height: src.Height,
		}},
		// The plan decides where fragments start: at its first frame of
		// each fragment, not at every IDR of the source.
		NoKeyFrameFragmentation: true,
		FragmentDuration:        plan.fragmentDuration(),
		Origin:                  origin,
		// The plan's frames are AVCC with a decoder configuration record,
		// as Matroska stores them.
		NALAdaptation:  producer.NALAdaptNone,
		BufferDuration: benchBufferTime,
		MaxBufferBytes: maxBufferBytes(plan),
		// Buffers for the first fragments are ready before the first
		// octet: the generator's own start must not load the machine
		// while the server's latency is measured.
		AverageBitrate: plan.fragmentBytes * 8 * int64(time.Second) / int64(plan.fragmentDuration()),
		Callbacks:      s.callbacks(),
	}
}

// ingestResult is what the run measured.
type ingestResult struct {
	streams     []*streamRun
	cpuStart    time.Time
	cpuEnd      time.Time
	cpu         cpuTimes
	serverCPU   cpuTimes
	interrupted bool
}

// firstWrite is when the run's first octet went out: the earliest of the
// streams' first writes (zero when none wrote).
func (r *ingestResult) firstWrite() time.Time {
	var first time.Time
	for _, s := range r.streams {
		if !s.firstWrite.IsZero() && (first.IsZero() || s.firstWrite.Before(first)) {
			first = s.firstWrite
		}
	}
	return first
}

// runIngest opens one producer stream per name, puts the plan on all of
// them, closes them (which waits for every PERSISTED) and returns what was
// recorded.
func runIngest(ctx context.Context, p *producer.Producer, streams []*streamRun, src *mediaSource, plan *mediaPlan,
	o *benchIngestOptions, say progress, mode string, server serverProcess) (*ingestResult, error) {
	// Every timestamp is relative to one origin fixed before the streams
	// exist; each stream's frames start at its own offset from it.
	origin := time.Now()
	err := forEach(ctx, streams, o.parallel, func(ctx context.Context, s *streamRun) error {
		st, err := p.NewStream(ctx, s.definition(src, plan, origin, o.retentionHours))
		if err != nil {
			return fmt.Errorf("stream %s: %w", s.name, err)
		}
		s.stream = st
		return nil
	})
	if err != nil {
		closeAll(streams, time.Second)
		return nil, err
	}

	say.printf("sending %s of %s video on %d stream(s), %s fragments, %s", time.Duration(o.duration), o.bitrate.String(),
		len(streams), time.Duration(o.fragment), mode)
	res := &ingestResult{streams: streams}
	res.cpuStart = time.Now()
	cpu0, srv0 := readCPU(), server.cpu()
	start := res.cpuStart.Add(50 * time.Millisecond).Sub(origin)
	var wg sync.WaitGroup
	for i, s := range streams {
		offset := start
		if !o.unthrottled {
			// Spread the streams over one fragment, like independent cameras.
			offset += plan.fragmentDuration() * time.Duration(i) / time.Duration(len(streams))
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.sendErr = s.send(ctx, plan, origin, offset, o.unthrottled)
			wait := time.Duration(o.ackTimeout)
			if ctx.Err() != nil {
				wait = min(wait, interruptedAckWait)
			}
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), wait)
			defer cancel()
			s.closeErr = s.stream.Close(cctx)
			s.metrics = s.stream.Metrics()
		}()
	}
	wg.Wait()
	res.cpuEnd = time.Now()
	res.cpu = readCPU().sub(cpu0)
	res.serverCPU = server.cpu().sub(srv0)
	res.interrupted = ctx.Err() != nil
	return res, nil
}

// closeAll closes the streams that were opened, waiting at most wait.
func closeAll(streams []*streamRun, wait time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	for _, s := range streams {
		if s.stream != nil {
			_ = s.stream.Close(ctx)
		}
	}
}

// closeError describes a failed Close in one line.
func closeError(s *streamRun, ackTimeout time.Duration) string {
	var nf *producer.NotFlushedError
	if errors.As(s.closeErr, &nf) {
		return fmt.Sprintf("%s: %d fragment(s) not acknowledged within %s", s.name, len(nf.Undelivered), ackTimeout)
	}
	return s.closeErr.Error()
}
