package producer

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

const (
	// maxResendErrors bounds the ERROR acks with ReactionResend one
	// fragment may get; then it is dropped, so that a fragment the service
	// rejects every time cannot stall the stream.
	maxResendErrors = 5
	// drainTimeout bounds the wait for the acks of the fragments sent on a
	// connection that is being ended (rotation, Close); what is not
	// acknowledged by then is sent again on the next connection.
	drainTimeout = 10 * time.Second
	// responseEndTimeout bounds the wait for the response to end after the
	// body was closed.
	responseEndTimeout = 5 * time.Second
)

var (
	// errEndBody ends a connection's body gracefully (rotation, Close).
	errEndBody = errors.New("end of body")
	// errStale reports a connection that got no ack for too long while
	// media was outstanding (SDK: connection_staleness).
	errStale = errors.New("producer: no acknowledgement within the connection staleness limit")
)

// uploader owns the PutMedia connections of one stream: one at a time,
// streaming fragments as they form, reconnecting with backoff and resending
// from the oldest unacknowledged fragment.
type uploader struct {
	p        *Producer
	s        *Stream
	ctx      context.Context
	cancel   context.CancelFunc
	done     chan struct{}
	endpoint string
}

// connState is what one connection's goroutines share; guarded by s.mu.
type connState struct {
	opened       time.Time
	pendingSince time.Time // first write after the last ack
	progress     bool      // a fragment was released
	abort        chan error
}

func (cs *connState) signal(err error) {
	select {
	case cs.abort <- err:
	default:
	}
}

func (u *uploader) start() {
	go u.run()
}

func (u *uploader) run() {
	defer close(u.done)
	defer u.state(StateClosed, nil)
	attempt := 0
	for {
		if !u.waitWork() {
			return
		}
		if attempt > 0 {
			// The endpoint may have moved (the SDK re-enters GET_ENDPOINT
			// after an error); keep the old one if the lookup fails too.
			if ep, err := u.p.dataEndpoint(u.ctx, u.s.def.Name); err == nil {
				u.endpoint = ep
			}
		}
		progress, err := u.session()
		if u.ctx.Err() != nil {
			return
		}
		if err == nil {
			attempt = 0
			continue
		}
		if apiErr := (*APIError)(nil); errors.As(err, &apiErr) && apiErr.fatal() {
			u.s.fail(err)
			return
		}
		var ackErr *AckError
		if errors.As(err, &ackErr) && ackErr.Reaction == ReactionStop {
			return
		}
		if progress {
			attempt = 0
		}
		u.s.mu.Lock()
		u.s.m.ConnectionErrors++
		u.s.mu.Unlock()
		if cb := u.s.def.Callbacks.Error; cb != nil && ackErr == nil {
			u.s.events.push(func() { cb(err) })
		}
		t := time.NewTimer(u.backoff(attempt))
		attempt++
		select {
		case <-t.C:
		case <-u.ctx.Done():
			t.Stop()
			return
		}
	}
}

// backoff is exponential from MinBackoff, capped at MaxBackoff, with jitter
// over the upper half so that many producers cut by one outage do not
// reconnect in step.
func (u *uploader) backoff(attempt int) time.Duration {
	d := u.p.opts.MaxBackoff
	if attempt < 30 {
		d = min(d, u.p.opts.MinBackoff<<attempt)
	}
	return d/2 + rand.N(d/2+1)
}

// waitWork waits until something is buffered; false means stop.
func (u *uploader) waitWork() bool {
	s := u.s
	for {
		s.mu.Lock()
		failed, closing, work, ch := s.failed, s.closing, len(s.store.frags) > 0, s.changed
		s.mu.Unlock()
		switch {
		case failed != nil:
			return false
		case work:
			return true
		case closing:
			return false
		}
		select {
		case <-ch:
		case <-u.ctx.Done():
			return false
		}
	}
}

func (u *uploader) state(st ConnectionState, err error) {
	if cb := u.s.def.Callbacks.ConnectionState; cb != nil {
		u.s.events.push(func() { cb(st, err) })
	}
}

// session runs one connection until it fails, is rotated or the stream
// is done. It reports whether any fragment was acknowledged on it.
func (u *uploader) session() (progress bool, err error) {
	s := u.s
	cs := &connState{opened: time.Now(), abort: make(chan error, 1)}
	u.state(StateConnecting, nil)
	s.mu.Lock()
	s.m.Connections++
	s.mu.Unlock()
	c, err := u.dialPutMedia(u.ctx, u.endpoint, func(a wireAck) { u.handleAck(cs, a) })
	if err != nil {
		u.state(StateDisconnected, err)
		return false, err
	}
	wctx, wcancel := context.WithCancel(u.ctx)
	werr := make(chan error, 1)
	go func() { werr <- u.send(wctx, c, cs) }()
	stale := time.NewTicker(max(u.p.opts.ConnectionStaleness/4, 10*time.Millisecond))
	defer stale.Stop()
	started := c.started
	var result error
loop:
	for {
		select {
		case <-started:
			started = nil
			if c.startErr == nil {
				u.state(StateConnected, nil)
			}
		case err := <-werr:
			werr = nil
			if errors.Is(err, errEndBody) {
				c.closeBody()
				t := time.NewTimer(responseEndTimeout)
				select {
				case <-c.done:
				case <-t.C:
				case <-u.ctx.Done():
				}
				t.Stop()
				break loop
			}
			result = err
			break loop
		case <-c.done:
			result = c.endErr
			s.mu.Lock()
			if result == nil && len(s.store.frags) > 0 {
				result = errResponseEnded
			}
			s.mu.Unlock()
			break loop
		case err := <-cs.abort:
			result = err
			break loop
		case <-stale.C:
			s.mu.Lock()
			since := cs.pendingSince
			s.mu.Unlock()
			if !since.IsZero() && time.Since(since) > u.p.opts.ConnectionStaleness {
				result = errStale
				break loop
			}
		case <-u.ctx.Done():
			result = u.ctx.Err()
			break loop
		}
	}
	wcancel()
	c.abort()
	if werr != nil {
		<-werr
	}
	if c.startErr != nil {
		result = c.startErr
	}
	s.mu.Lock()
	progress = cs.progress
	s.mu.Unlock()
	u.state(StateDisconnected, result)
	return progress, result
}

// send writes the header and then the fragments from the oldest buffered
// one, each as it forms, until the connection is to end: at a fragment
// boundary once the connection is older than MaxConnectionDuration, or
// when the stream is closing and everything was sent.
func (u *uploader) send(ctx context.Context, c *putMediaConn, cs *connState) error {
	s := u.s
	s.mu.Lock()
	header, seq := s.header, s.store.oldest(s.seq+1)
	s.mu.Unlock()
	if err := c.write(header); err != nil {
		return err
	}
	rotateAt := cs.opened.Add(u.p.opts.MaxConnectionDuration)
	rotate := time.NewTimer(u.p.opts.MaxConnectionDuration)
	defer rotate.Stop()
	var cur *fragment
	off := 0
	for {
		s.mu.Lock()
		if cur == nil {
			next := s.store.next(seq)
			if time.Now().After(rotateAt) || s.closing && next == nil {
				s.mu.Unlock()
				return u.drain(ctx, seq)
			}
			cur, off = next, 0
			if cur != nil && cur.sends > 0 {
				s.m.Retransmissions++
			}
		}
		var chunk []byte
		sealed := false
		if cur != nil {
			chunk, sealed = cur.data[off:], cur.sealed
			s.sendSeq, s.sendOff = cur.seq, off
		}
		ch := s.changed
		s.mu.Unlock()

		if len(chunk) == 0 && !sealed {
			select {
			case <-ch:
			case <-rotate.C:
			case <-ctx.Done():
				return ctx.Err()
			}
			continue
		}
		if len(chunk) > 0 {
			if err := c.write(chunk); err != nil {
				return err
			}
			off += len(chunk)
		}
		now := time.Now()
		s.mu.Lock()
		if cs.pendingSince.IsZero() {
			cs.pendingSince = now
		}
		s.m.BytesSent += int64(len(chunk))
		s.sent.add(now, float64(len(chunk)))
		if sealed {
			// A sealed fragment's data no longer grows, so chunk was all
			// of the rest.
			cur.sends++
			cur.sentAt = now
			seq = cur.seq + 1
			s.sendSeq, s.sendOff = seq, 0
			cur = nil
		}
		s.mu.Unlock()
	}
}

// drain waits until every fragment sent on the connection (seq below
// next) is acknowledged, for at most drainTimeout, then ends the body.
func (u *uploader) drain(ctx context.Context, next uint64) error {
	s := u.s
	t := time.NewTimer(drainTimeout)
	defer t.Stop()
	for {
		s.mu.Lock()
		done, ch := s.store.oldest(next) >= next, s.changed
		s.mu.Unlock()
		if done {
			return errEndBody
		}
		select {
		case <-ch:
		case <-t.C:
			return errEndBody
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// handleAck applies one ack; it runs on the connection's goroutine.
func (u *uploader) handleAck(cs *connState, a wireAck) {
	s := u.s
	ack := Ack{Event: AckEvent(a.EventType), FragmentNumber: a.FragmentNumber, ErrorID: a.ErrorID, ErrorCode: a.ErrorCode}
	now := time.Now()
	var dropped []*fragment
	var ackErr *AckError
	s.mu.Lock()
	cs.pendingSince = time.Time{}
	var f *fragment
	if a.FragmentTimecode != nil {
		ack.FragmentTimecode = *a.FragmentTimecode
		f = s.store.find(ack.FragmentTimecode)
	}
	release := func() {
		if f == nil || !s.store.remove(f) {
			return
		}
		// The service has every octet of f, so no write of it is in
		// progress; once the uploader is past it (a new connection resends
		// from the oldest stored fragment, and f is no longer stored), its
		// buffer can take the next fragment, unless f used little of it.
		if f.sealed && f.seq < s.sendSeq && 4*len(f.data) >= cap(f.data) {
			s.keepSpare(f.data)
			f.data = nil
		}
		s.m.FragmentsAcked++
		if !f.sentAt.IsZero() {
			lat := now.Sub(f.sentAt)
			s.m.PersistedLatency = lat
			if s.m.AvgPersistedLatency == 0 {
				s.m.AvgPersistedLatency = lat
			} else {
				s.m.AvgPersistedLatency += (lat - s.m.AvgPersistedLatency) / 8
			}
		}
		cs.progress = true
		s.notify()
	}
	switch ack.Event {
	case EventReceived:
		if f != nil {
			f.received = true
		}
		if s.releaseOnReceived {
			release()
		}
	case EventPersisted:
		release()
	case EventError:
		s.m.ErrorAcks++
		ackErr = &AckError{ErrorID: a.ErrorID, ErrorCode: a.ErrorCode, FragmentTimecode: ack.FragmentTimecode,
			FragmentNumber: a.FragmentNumber, Reaction: ReactionFor(a.ErrorID)}
		if ackErr.Reaction == ReactionResend && f != nil {
			if f.resendErrors++; f.resendErrors >= maxResendErrors {
				ackErr.Reaction = ReactionDropFragment
			}
		}
		switch ackErr.Reaction {
		case ReactionDropFragment:
			if f != nil && s.store.remove(f) {
				dropped = append(dropped, f)
				s.notify()
			}
			if ReactionFor(a.ErrorID) == ReactionResend {
				cs.signal(ackErr)
			}
		case ReactionResend:
			cs.signal(ackErr)
		case ReactionStop:
			if s.failed == nil {
				s.failed = ackErr
				s.notify()
			}
			cs.signal(ackErr)
		}
	}
	s.mu.Unlock()

	cbs := s.def.Callbacks
	if cb := cbs.FragmentAck; cb != nil && ack.Event != EventIdle {
		s.events.push(func() { cb(ack) })
	}
	if cb := cbs.Error; cb != nil && ackErr != nil {
		s.events.push(func() { cb(ackErr) })
	}
	s.reportDropped(dropped, ackErr)
}

// fail stops the stream after an error no retry fixes.
func (s *Stream) fail(err error) {
	s.mu.Lock()
	if s.failed == nil {
		s.failed = fmt.Errorf("%w: %w", ErrStreamFailed, err)
		s.notify()
	}
	s.mu.Unlock()
	if cb := s.def.Callbacks.Error; cb != nil {
		s.events.push(func() { cb(err) })
	}
}
