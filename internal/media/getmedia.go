package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/openkvs/openkvs/internal/errkind"
	"github.com/openkvs/openkvs/internal/live"
	"github.com/openkvs/openkvs/internal/store"
)

// StartKind is a GetMedia StartSelectorType.
type StartKind string

// StartSelector types.
const (
	StartNow               StartKind = "NOW"
	StartEarliest          StartKind = "EARLIEST"
	StartFragmentNumber    StartKind = "FRAGMENT_NUMBER"
	StartServerTimestamp   StartKind = "SERVER_TIMESTAMP"
	StartProducerTimestamp StartKind = "PRODUCER_TIMESTAMP"
	StartContinuationToken StartKind = "CONTINUATION_TOKEN"
)

// StartSelector says where GetMedia starts.
type StartSelector struct {
	Kind StartKind
	// After is the fragment number of AfterFragmentNumber or of a
	// continuation token; GetMedia starts with the chunk after it.
	After uint64
	// Timestamp is StartTimestamp.
	Timestamp time.Time
}

// Flusher sends what was written so far to the client.
type Flusher interface {
	io.Writer
	Flush() error
}

// Acquire counts a GetMedia reader against the stream's limit; release
// must be called when the reader is done.
func (s *Service) Acquire(stream string) (release func(), err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.readers[stream] >= s.cfg.GetMediaConnections {
		return nil, errkind.New(ErrConnectionLimit, "The stream already has %d GetMedia connections.", s.cfg.GetMediaConnections)
	}
	s.readers[stream]++
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.readers[stream]--; s.readers[stream] <= 0 {
			delete(s.readers, stream)
		}
	}, nil
}

// startAfter turns a selector into "the chunk after fragment number n"
// (n = 0: from the first), given the stream's fragments.
func (s *Service) startAfter(ctx context.Context, stream string, sel StartSelector) (uint64, error) {
	switch sel.Kind {
	case StartEarliest:
		return 0, nil
	case StartFragmentNumber, StartContinuationToken:
		return sel.After, nil
	case StartNow:
		// The newest chunk, then whatever follows.
		fs, err := s.store.List(ctx, store.FragmentQuery{Stream: stream})
		if err != nil || len(fs) == 0 {
			return 0, err
		}
		return fs[len(fs)-1].Number - 1, nil
	case StartServerTimestamp, StartProducerTimestamp:
		by := store.ByServerTimestamp
		if sel.Kind == StartProducerTimestamp {
			by = store.ByProducerTimestamp
		}
		fs, err := s.store.List(ctx, store.FragmentQuery{Stream: stream})
		if err != nil {
			return 0, err
		}
		// The chunk that contains the timestamp, else the first after it.
		for _, f := range fs {
			ts := f.ServerTimestamp
			if by == store.ByProducerTimestamp {
				ts = f.ProducerTimestamp
			}
			if !ts.Before(sel.Timestamp) || ts.Add(f.Duration).After(sel.Timestamp) {
				return f.Number - 1, nil
			}
		}
		if len(fs) == 0 {
			return 0, nil
		}
		return fs[len(fs)-1].Number, nil // nothing yet: wait for new data
	}
	return 0, errkind.New(ErrInvalidArgument, "Unknown StartSelectorType %q.", sel.Kind)
}

// GetMedia writes chunks from the selected one onward: stored fragments
// first, then new ones from the live hub as their bytes arrive, until the
// client goes away or nothing was sent for NoDataTimeout. Everything is
// flushed as soon as it is written.
func (s *Service) GetMedia(ctx context.Context, stream string, sel StartSelector, w Flusher) error {
	after, err := s.startAfter(ctx, stream, sel)
	if err != nil {
		return err
	}
	r := &chunkReader{s: s, stream: stream, w: w, kind: getMediaChunk, after: after}
	idle := time.NewTimer(s.cfg.NoDataTimeout)
	defer idle.Stop()
	for {
		// Subscribe before reading the store: a fragment is in the store,
		// or arrives on the subscription, or both (then skipped by
		// number); never neither.
		sub := s.live.Subscribe(stream)
		sent, err := r.catchUp(ctx)
		if err != nil {
			sub.Close()
			return r.stop(err)
		}
		if sent {
			idle.Reset(s.cfg.NoDataTimeout)
		}
		lagged, err := r.follow(ctx, sub, idle)
		sub.Close()
		if !lagged || err != nil {
			return err
		}
	}
}

// chunkReader writes one GetMedia or GetMediaForFragmentList response.
type chunkReader struct {
	s      *Service
	stream string
	w      Flusher
	kind   chunkKind
	after  uint64 // number of the last chunk sent
	buf    bytes.Buffer
	media  []byte
	bufs   [][]byte // catchUp's read buffers
	header []byte
	hdrID  uint64
}

// catchUpReadAhead is how many fragments catchUp reads ahead of the one it
// writes: the reads and the writes take about as long as each other, and
// with one read in flight each side often waited for the other.
const catchUpReadAhead = 3

// catchUp sends every stored fragment after r.after. A reading goroutine
// stays up to catchUpReadAhead fragments ahead of the writer, so that disk
// reads overlap with the network.
func (r *chunkReader) catchUp(ctx context.Context) (sent bool, err error) {
	for {
		fs, err := r.s.store.List(ctx, store.FragmentQuery{Stream: r.stream, AfterNumber: r.after, Limit: 64})
		if err != nil || len(fs) == 0 {
			if sent && r.w.Flush() != nil && err == nil {
				err = errClientGone
			}
			return sent, err
		}
		n, err := r.sendBatch(ctx, fs)
		sent = sent || n > 0
		if err != nil {
			return sent, err
		}
	}
}

// sendBatch sends the stored fragments fs in order and reports how many it
// sent.
func (r *chunkReader) sendBatch(ctx context.Context, fs []store.Fragment) (int, error) {
	type read struct {
		media []byte
		err   error
	}
	if len(r.bufs) == 0 {
		r.bufs = make([][]byte, catchUpReadAhead)
	}
	free := make(chan []byte, len(r.bufs))
	for _, b := range r.bufs {
		free <- b
	}
	done := make(chan read, len(r.bufs))
	stop := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for _, f := range fs {
			var buf []byte
			select {
			case buf = <-free:
			case <-stop:
				return
			}
			m, err := r.s.store.ReadMedia(ctx, f, buf[:0])
			done <- read{m, err}
			if err != nil {
				return
			}
		}
	}()
	// On the way out: stop the reader and take every buffer back for the
	// next batch.
	defer func() {
		close(stop)
		<-finished
		r.bufs = r.bufs[:0]
		for len(free) > 0 {
			r.bufs = append(r.bufs, <-free)
		}
		for len(done) > 0 {
			r.bufs = append(r.bufs, (<-done).media)
		}
	}()
	for i, f := range fs {
		// Chunks are flushed only when the next one is not ready: a flush
		// per chunk cost a write of a few dozen octets (the trailing tags)
		// per fragment, and the next chunk's first write flushes them
		// anyway.
		var got read
		select {
		case got = <-done:
		default:
			if err := r.w.Flush(); err != nil {
				return i, errClientGone
			}
			got = <-done
		}
		if got.err != nil {
			free <- got.media
			return i, got.err
		}
		r.media = got.media
		err := r.sendStored(ctx, f)
		free <- got.media
		if err != nil {
			return i, err
		}
		r.after = f.Number
	}
	return len(fs), nil
}

// sendStored writes one stored fragment as a chunk, r.media holding its
// bytes.
func (r *chunkReader) sendStored(ctx context.Context, f store.Fragment) error {
	if f.HeaderID != r.hdrID || r.header == nil {
		h, err := r.s.store.ReadHeader(ctx, r.stream, f.HeaderID)
		if err != nil {
			return err
		}
		r.header, r.hdrID = h, f.HeaderID
	}
	if err := writeChunk(r.w, &r.buf, r.kind, r.header, f, r.media, r.s.now()); err != nil {
		return errClientGone
	}
	return nil
}

// errClientGone ends a response whose client stopped reading.
var errClientGone = errors.New("client gone")

func (r *chunkReader) send() error { return r.sendBytes(r.buf.Bytes()) }

// sendBytes writes b and flushes it to the client.
func (r *chunkReader) sendBytes(b []byte) error {
	if _, err := r.w.Write(b); err != nil {
		return err
	}
	return r.w.Flush()
}

// follow streams live fragments newer than r.after. It returns lagged when
// the hub cut the reader off between chunks, so that it can catch up from
// the store; cut off inside a chunk, it ends the response with error tags.
func (r *chunkReader) follow(ctx context.Context, sub *live.Subscription, idle *time.Timer) (lagged bool, err error) {
	var (
		open bool
		skip bool
		info live.FragmentInfo
	)
	for {
		select {
		case <-ctx.Done():
			return false, nil
		case <-idle.C:
			if open {
				idle.Reset(r.s.cfg.NoDataTimeout)
				continue
			}
			return false, nil
		case ev, ok := <-sub.C:
			if !ok {
				if open {
					return false, r.stop(errLagged)
				}
				return true, nil
			}
			r.buf.Reset()
			switch ev.Kind {
			case live.FragmentBegin:
				info, skip = ev.Info, ev.Info.Number <= r.after
				if skip {
					continue
				}
				open = true
				r.buf.Write(info.Header)
				leadingTags(&r.buf, getMediaChunk, info.Number, info.ServerTimestamp, info.ProducerTimestamp)
			case live.FragmentData:
				if !open {
					continue
				}
				// Event data never changes: write it as it is rather than
				// copy it into buf (with 200 readers that copy was
				// 200 times the stream's bit rate).
				if err := r.sendBytes(ev.Data); err != nil {
					return false, nil // the client went away
				}
				idle.Reset(r.s.cfg.NoDataTimeout)
				continue
			case live.FragmentEnd:
				if !open {
					continue
				}
				open = false
				trailingTags(&r.buf, info.Number, info.ServerTimestamp, r.s.now())
				r.after = info.Number
			}
			if r.buf.Len() == 0 {
				continue
			}
			if err := r.send(); err != nil {
				return false, nil // the client went away
			}
			idle.Reset(r.s.cfg.NoDataTimeout)
		}
	}
}

// errLagged: the reader fell behind the live edge inside a chunk.
var errLagged = errors.New("reader fell behind the live stream")

// stop ends a GetMedia response on an error with the documented error
// tags: 4000 when a fragment vanished (retention), 3002 when the reader fell
// behind, 5000 otherwise.
func (r *chunkReader) stop(err error) error {
	if errors.Is(err, errClientGone) {
		return nil
	}
	r.buf.Reset()
	switch {
	case errors.Is(err, store.ErrNotFound):
		appendErrorTags(&r.buf, "FRAGMENT_NOT_FOUND", 4000)
	case errors.Is(err, errLagged):
		appendErrorTags(&r.buf, "ERROR_WRITING_TO_STREAM", 3002)
	default:
		r.s.log.Error("GetMedia read failed", "stream", r.stream, "err", err)
		appendErrorTags(&r.buf, "INTERNAL_ERROR", 5000)
	}
	_ = r.send()
	return nil
}

// CheckFragments returns the fragments a GetMediaForFragmentList request
// names, in the requested order, or ErrNotFound for the first unknown one.
func (s *Service) CheckFragments(ctx context.Context, stream string, numbers []string) ([]store.Fragment, error) {
	if len(numbers) < 1 || len(numbers) > 1000 {
		return nil, errkind.New(ErrInvalidArgument, "Fragments must list between 1 and 1000 fragment numbers, not %d.", len(numbers))
	}
	// GetMediaForFragmentList costs one fragment-media point per fragment.
	if err := s.media.spend(stream, len(numbers), s.now()); err != nil {
		return nil, err
	}
	out := make([]store.Fragment, 0, len(numbers))
	for _, n := range numbers {
		num, ok := ParseFragmentNumber(n)
		if !ok {
			return nil, errkind.New(ErrNotFound, "Fragment %s was not found.", n)
		}
		f, err := s.store.Get(ctx, stream, num)
		if errors.Is(err, store.ErrNotFound) {
			return nil, errkind.New(ErrNotFound, "Fragment %s was not found.", n)
		}
		if err != nil {
			return nil, fmt.Errorf("get fragment: %w", err)
		}
		out = append(out, f)
	}
	return out, nil
}

// WriteFragments writes one chunk per fragment, in the given order.
func (s *Service) WriteFragments(ctx context.Context, stream string, fs []store.Fragment, w Flusher) error {
	r := &chunkReader{s: s, stream: stream, w: w, kind: fragmentListChunk}
	for _, f := range fs {
		var err error
		if r.media, err = s.store.ReadMedia(ctx, f, r.media[:0]); err != nil {
			return err
		}
		if err := r.sendStored(ctx, f); err == nil {
			err = r.w.Flush()
		} else if !errors.Is(err, errClientGone) {
			return err
		}
		if err != nil {
			return nil // the client is gone
		}
	}
	return nil
}
