package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/openkvs/openkvs/mkv"
)

// interruptedAckWait bounds the wait for acks after an interrupt.
const interruptedAckWait = 3 * time.Second

// fragmentRecord is what a stream knows about one fragment it sent.
type fragmentRecord struct {
	timecode  int64 // Cluster Timecode, epoch ms: the acks' FragmentTimecode
	firstByte time.Time
	lastByte  time.Time // zero until the END_OF_FRAGMENT tag was written
	number    string    // FragmentNumber of the first ack that had one

	buffering, received, persisted time.Time // first ack of each type
	persistedCount                 int
	numberChanged                  bool // acks gave two different numbers
	errored                        bool
}

// streamRun is one stream of the benchmark: its PutMedia connection, the
// fragments it sent and the acks it got.
type streamRun struct {
	name string
	conn *putMediaConn
	body io.Writer // conn, or a buffer in tests

	buf bytes.Buffer
	w   *mkv.Writer

	mu         sync.Mutex
	frags      []*fragmentRecord
	byTimecode map[int64]*fragmentRecord
	unmatched  int // acks for no fragment this stream sent
	ackCounts  map[string]int
	errorAcks  map[string]int // "<ErrorId> <ErrorCode>" -> count

	// Set by the sending goroutine; read after it is joined.
	firstWrite, lastWrite time.Time
	sendErr               error
	respErr               error
}

func newStreamRun(name string) *streamRun {
	s := &streamRun{name: name, byTimecode: map[int64]*fragmentRecord{}, ackCounts: map[string]int{}, errorAcks: map[string]int{}}
	s.w = mkv.NewWriter(&s.buf)
	return s
}

// onAck records an ack; it runs on the connection's goroutine.
func (s *streamRun) onAck(a ack, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ackCounts[a.EventType]++
	if a.EventType == ackIdle {
		return
	}
	if a.EventType == ackError {
		s.errorAcks[fmt.Sprintf("%d %s", a.ErrorID, a.ErrorCode)]++
	}
	if a.FragmentTimecode == nil {
		if a.EventType != ackError {
			s.unmatched++
		}
		return
	}
	f := s.byTimecode[*a.FragmentTimecode]
	if f == nil {
		s.unmatched++
		return
	}
	if a.FragmentNumber != "" {
		if f.number == "" {
			f.number = a.FragmentNumber
		} else if f.number != a.FragmentNumber {
			f.numberChanged = true
		}
	}
	switch a.EventType {
	case ackBuffering:
		if f.buffering.IsZero() {
			f.buffering = at
		}
	case ackReceived:
		if f.received.IsZero() {
			f.received = at
		}
	case ackPersisted:
		f.persistedCount++
		if f.persisted.IsZero() {
			f.persisted = at
		}
	case ackError:
		f.errored = true
	}
}

// writeHeader sends the EBML header, the unknown-size Segment, Info and
// Tracks, as the producer SDK starts its body.
func (s *streamRun) writeHeader(src *mediaSource) error {
	uid := make([]byte, 16)
	_, _ = rand.Read(uid)
	w := s.w
	_ = w.WriteEBMLHeader(mkv.EBMLHeader{DocType: "matroska", DocTypeVersion: 2, DocTypeReadVersion: 2})
	_ = w.StartSegment(true)
	_ = w.WriteInfo(mkv.Info{SegmentUUID: uid, TimestampScale: 1_000_000, Title: "kvsctl bench ingest", MuxingApp: "kvsctl", WritingApp: "kvsctl"})
	err := w.WriteTracks(mkv.Tracks{Entries: []mkv.TrackEntry{{
		Number: 1, UID: 1, Type: mkv.TrackTypeVideo, Name: "kvs_video_track", CodecID: h264CodecID,
		CodecPrivate: src.CodecPrivate,
		Video:        &mkv.Video{PixelWidth: uint64(src.Width), PixelHeight: uint64(src.Height)},
	}}})
	if err != nil {
		return fmt.Errorf("mux header: %w", err)
	}
	return s.flush()
}

// flush sends what the Writer produced.
func (s *streamRun) flush() error {
	_, err := s.body.Write(s.buf.Bytes())
	s.buf.Reset()
	return err
}

// send writes every fragment of the plan, frame by frame, at the frames'
// wall-clock times from start unless unthrottled. It stops early when ctx
// ends or a write fails.
func (s *streamRun) send(ctx context.Context, plan *mediaPlan, start time.Time, unthrottled bool) error {
	startMS := start.UnixMilli()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for k := range plan.numFragments() {
		frames := plan.fragment(k)
		first := k * plan.framesPerFragment
		tc := startMS + plan.frameMS(first)
		var rec *fragmentRecord
		for j, fr := range frames {
			g := first + j
			if !unthrottled {
				if d := time.Until(start.Add(plan.frameOffset(g))); d > 0 {
					timer.Reset(d)
					select {
					case <-timer.C:
					case <-ctx.Done():
						return nil
					}
				}
			} else if ctx.Err() != nil {
				return nil
			}
			// Writes go to a bytes.Buffer; the Writer's errors are sticky,
			// so the last call reports any.
			w := s.w
			if j == 0 {
				_ = w.StartCluster(uint64(tc), true)
			}
			var flags uint8
			if fr.Key {
				flags = mkv.FlagKeyframe
			}
			err := w.WriteSimpleBlock(1, int16(plan.frameMS(g)-plan.frameMS(first)), flags, fr.Data)
			last := j == len(frames)-1
			if last {
				_ = w.EndMaster() // the unknown-size Cluster
				err = w.WriteTags(mkv.Tags{Tags: []mkv.Tag{{SimpleTags: []mkv.SimpleTag{{Name: mkv.TagEndOfFragment}}}}})
			}
			if err != nil {
				return fmt.Errorf("mux fragment: %w", err)
			}
			if j == 0 {
				now := time.Now()
				rec = &fragmentRecord{timecode: tc, firstByte: now}
				s.mu.Lock()
				s.frags = append(s.frags, rec)
				s.byTimecode[tc] = rec
				s.mu.Unlock()
				if s.firstWrite.IsZero() {
					s.firstWrite = now
				}
			}
			if err := s.flush(); err != nil {
				return err
			}
			now := time.Now()
			s.lastWrite = now
			if last {
				s.mu.Lock()
				rec.lastByte = now
				s.mu.Unlock()
			}
		}
	}
	return nil
}

// ingestResult is what the run measured.
type ingestResult struct {
	streams     []*streamRun
	cpuStart    time.Time
	cpuEnd      time.Time
	cpu         cpuTimes
	interrupted bool
}

// runIngest opens one PutMedia connection per stream, sends the plan on all
// of them, closes the bodies and waits for the acks.
func runIngest(ctx context.Context, rq *requester, endpoint string, names []string, plan *mediaPlan, src *mediaSource,
	o *benchIngestOptions, say progress, mode string) (*ingestResult, error) {
	tr := newTransport(rq.insecure)
	tr.DisableKeepAlives = true
	tr.WriteBufferSize = 64 << 10
	tr.ReadBufferSize = 16 << 10
	defer tr.CloseIdleConnections()

	// The HTTP requests outlive an interrupt for a moment, to collect acks.
	connCtx := context.WithoutCancel(ctx)
	streams := make([]*streamRun, len(names))
	for i, name := range names {
		streams[i] = newStreamRun(name)
	}
	abortAll := func() {
		for _, s := range streams {
			if s.conn != nil {
				s.conn.CloseBody()
				_ = s.conn.wait(0)
			}
		}
	}
	err := forEach(ctx, streams, o.parallel, func(ctx context.Context, s *streamRun) error {
		conn, err := rq.openPutMedia(connCtx, tr, endpoint, s.name, time.Now(), s.onAck)
		if err != nil {
			return err
		}
		s.conn, s.body = conn, conn
		werr := make(chan error, 1)
		go func() { werr <- s.writeHeader(src) }()
		if err := conn.waitStarted(ctx); err != nil {
			conn.CloseBody()
			<-werr
			return err
		}
		return <-werr
	})
	if err != nil {
		abortAll()
		return nil, err
	}

	say.printf("sending %s of %s video on %d stream(s), %s fragments, %s", time.Duration(o.duration), o.bitrate.String(),
		len(streams), time.Duration(o.fragment), mode)
	res := &ingestResult{streams: streams}
	res.cpuStart = time.Now()
	cpu0 := readCPU()
	start := res.cpuStart.Add(50 * time.Millisecond)
	var wg sync.WaitGroup
	for i, s := range streams {
		at := start
		if !o.unthrottled {
			// Spread the streams over one fragment, like independent cameras.
			at = start.Add(plan.fragmentDuration() * time.Duration(i) / time.Duration(len(streams)))
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.sendErr = s.send(ctx, plan, at, o.unthrottled)
			s.conn.CloseBody()
			wait := time.Duration(o.ackTimeout)
			if ctx.Err() != nil {
				wait = min(wait, interruptedAckWait)
			}
			s.respErr = s.conn.wait(wait)
		}()
	}
	wg.Wait()
	res.cpuEnd = time.Now()
	res.cpu = readCPU().sub(cpu0)
	res.interrupted = ctx.Err() != nil
	return res, nil
}
