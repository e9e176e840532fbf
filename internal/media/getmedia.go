package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/openkvs/openkvs/internal/errkind"
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
// first, then new ones as they arrive, until the client goes away or no
// data came for NoDataTimeout. Each chunk is flushed as soon as it is
// written.
func (s *Service) GetMedia(ctx context.Context, stream string, sel StartSelector, w Flusher) error {
	after, err := s.startAfter(ctx, stream, sel)
	if err != nil {
		return err
	}
	var (
		buf    bytes.Buffer
		media  []byte
		header []byte
		hdrID  uint64
	)
	idle := time.NewTimer(s.cfg.NoDataTimeout)
	defer idle.Stop()
	for {
		changed := s.live.Changed(stream)
		fs, err := s.store.List(ctx, store.FragmentQuery{Stream: stream, AfterNumber: after, Limit: 16})
		if err != nil {
			return fmt.Errorf("list fragments: %w", err)
		}
		for _, f := range fs {
			if f.HeaderID != hdrID || header == nil {
				if header, err = s.store.ReadHeader(ctx, stream, f.HeaderID); err != nil {
					return s.stop(w, &buf, err)
				}
				hdrID = f.HeaderID
			}
			if media, err = s.store.ReadMedia(ctx, f, media[:0]); err != nil {
				return s.stop(w, &buf, err)
			}
			buf.Reset()
			appendChunk(&buf, getMediaChunk, header, f, media, s.now())
			if _, err := w.Write(buf.Bytes()); err != nil {
				return nil // the client went away
			}
			if err := w.Flush(); err != nil {
				return nil
			}
			after = f.Number
			idle.Reset(s.cfg.NoDataTimeout)
		}
		if len(fs) > 0 {
			continue
		}
		select {
		case <-changed:
		case <-idle.C:
			return nil
		case <-ctx.Done():
			return nil
		}
	}
}

// stop ends a GetMedia stream on an error with the documented error tags.
func (s *Service) stop(w Flusher, buf *bytes.Buffer, err error) error {
	buf.Reset()
	if errors.Is(err, store.ErrNotFound) {
		appendErrorTags(buf, "FRAGMENT_NOT_FOUND", 4000)
	} else {
		s.log.Error("GetMedia read failed", "err", err)
		appendErrorTags(buf, "INTERNAL_ERROR", 5000)
	}
	_, _ = w.Write(buf.Bytes())
	_ = w.Flush()
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
	var (
		buf    bytes.Buffer
		media  []byte
		header []byte
		hdrID  uint64
		err    error
	)
	for _, f := range fs {
		if f.HeaderID != hdrID || header == nil {
			if header, err = s.store.ReadHeader(ctx, stream, f.HeaderID); err != nil {
				return err
			}
			hdrID = f.HeaderID
		}
		if media, err = s.store.ReadMedia(ctx, f, media[:0]); err != nil {
			return err
		}
		buf.Reset()
		appendChunk(&buf, fragmentListChunk, header, f, media, s.now())
		if _, err := w.Write(buf.Bytes()); err != nil {
			return nil
		}
		if err := w.Flush(); err != nil {
			return nil
		}
	}
	return nil
}
