package producer

import (
	"context"
	"errors"
	"fmt"
)

// NotFlushedError is returned by Close when fragments were still
// unacknowledged when its context ended (or the stream failed). It matches
// ErrNotFlushed.
type NotFlushedError struct {
	// Undelivered lists the fragments not acknowledged, oldest first.
	Undelivered []FragmentInfo
}

func (e *NotFlushedError) Error() string {
	frames := 0
	for _, f := range e.Undelivered {
		frames += f.Frames
	}
	return fmt.Sprintf("%v: %d fragments (%d frames)", ErrNotFlushed, len(e.Undelivered), frames)
}

// Unwrap makes the error match ErrNotFlushed.
func (e *NotFlushedError) Unwrap() error { return ErrNotFlushed }

// Close ends the fragment in progress, waits until every buffered fragment
// is acknowledged (PERSISTED, or RECEIVED for a stream without retention)
// or ctx ends, then ends the PutMedia connection and stops the stream's
// goroutines. It returns nil when everything was delivered; otherwise a
// *NotFlushedError listing what was not (also reported to
// Callbacks.FragmentDropped), joined with the stream's failure if it
// failed. Close may be called more than once.
func (s *Stream) Close(ctx context.Context) error {
	s.mu.Lock()
	if !s.closing {
		s.closing = true
		s.sealFragment()
		s.notify()
	}
	s.mu.Unlock()

	// Wait for the acks while the uploader drains; it ends the body once
	// everything is acknowledged.
	for {
		s.mu.Lock()
		empty, failed, ch := len(s.store.frags) == 0, s.failed, s.changed
		s.mu.Unlock()
		if empty || failed != nil {
			break
		}
		select {
		case <-ch:
			continue
		case <-ctx.Done():
		}
		break
	}
	if s.up != nil {
		select {
		case <-s.up.done:
		case <-ctx.Done():
		}
		s.up.cancel()
		<-s.up.done
		s.up.p.forget(s)
	}

	s.mu.Lock()
	left := append([]*fragment(nil), s.store.frags...)
	for _, f := range left {
		s.store.remove(f)
	}
	failed := s.failed
	s.mu.Unlock()
	var err error
	if len(left) > 0 {
		nf := &NotFlushedError{}
		for _, f := range left {
			nf.Undelivered = append(nf.Undelivered, f.info())
		}
		s.reportDropped(left, nf)
		err = nf
	}
	if failed != nil {
		err = errors.Join(failed, err)
	}
	s.events.close()
	return err
}
