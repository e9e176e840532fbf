package live

import (
	"sync"
	"time"
)

// FragmentInfo is what a reader needs to open a chunk before the fragment
// is complete.
type FragmentInfo struct {
	Number            uint64
	Header            []byte
	ServerTimestamp   time.Time
	ProducerTimestamp time.Time
}

// EventKind is the kind of a live Event.
type EventKind int

// Live event kinds, in the order a fragment produces them.
const (
	// FragmentBegin opens a fragment; Info is set.
	FragmentBegin EventKind = iota + 1
	// FragmentData carries the next bytes of the fragment as the producer
	// sent them.
	FragmentData
	// FragmentEnd closes the fragment; OK is false when ingest dropped it.
	FragmentEnd
)

// Event is one step of a fragment's arrival.
type Event struct {
	Kind EventKind
	Info FragmentInfo
	// Data is owned by the event and never changed afterwards.
	Data []byte
	OK   bool
}

// subscriberQueue is how many events a reader may lag behind before it is
// cut off and must catch up from the store.
const subscriberQueue = 1024

// Subscription receives a stream's live events.
type Subscription struct {
	// C delivers events in order. It is closed when the subscriber fell
	// too far behind (Lagged reports true) or after Close.
	C      <-chan Event
	c      chan Event
	st     *stream
	hub    *Hub
	lagged bool
}

// Lagged reports whether C was closed because the reader fell behind.
func (s *Subscription) Lagged() bool {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	return s.lagged
}

// Close stops the subscription.
func (s *Subscription) Close() {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	if _, ok := s.st.subs[s]; ok {
		delete(s.st.subs, s)
		close(s.c)
	}
}

type stream struct {
	mu   sync.Mutex
	subs map[*Subscription]struct{}
	// cur is the fragment in progress, so that a reader that subscribes in
	// the middle gets it whole. curData is the ingest session's own buffer
	// (see Data).
	cur     *FragmentInfo
	curData []byte
}

// Hub fans each stream's fragments out to live readers as they arrive.
// Publishing never blocks: a reader whose queue is full is cut off.
type Hub struct {
	mu      sync.Mutex
	streams map[string]*stream
}

// NewHub returns an empty Hub.
func NewHub() *Hub { return &Hub{streams: map[string]*stream{}} }

func (h *Hub) stream(name string) *stream {
	h.mu.Lock()
	defer h.mu.Unlock()
	st, ok := h.streams[name]
	if !ok {
		st = &stream{subs: map[*Subscription]struct{}{}}
		h.streams[name] = st
	}
	return st
}

// Subscribe starts receiving the stream's events. If a fragment is in
// progress, the subscription starts with its Begin and the bytes so far.
func (h *Hub) Subscribe(name string) *Subscription {
	st := h.stream(name)
	c := make(chan Event, subscriberQueue)
	sub := &Subscription{C: c, c: c, st: st, hub: h}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.cur != nil {
		c <- Event{Kind: FragmentBegin, Info: *st.cur}
		if len(st.curData) > 0 {
			c <- Event{Kind: FragmentData, Data: append([]byte(nil), st.curData...)}
		}
	}
	st.subs[sub] = struct{}{}
	return sub
}

// publish delivers ev to every subscriber, cutting off any that is full.
func (st *stream) publish(ev Event) {
	for sub := range st.subs {
		select {
		case sub.c <- ev:
		default:
			sub.lagged = true
			delete(st.subs, sub)
			close(sub.c)
		}
	}
}

// Begin announces a new fragment of the stream.
func (h *Hub) Begin(name string, info FragmentInfo) {
	st := h.stream(name)
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.cur != nil {
		// A newer session took over mid-fragment: close the old one.
		st.publish(Event{Kind: FragmentEnd, OK: false})
	}
	st.cur, st.curData = &info, nil
	st.publish(Event{Kind: FragmentBegin, Info: info})
}

// Data passes on fragment number's bytes so far: soFar is the whole
// fragment up to now, and the bytes after the previous call's soFar are new.
// The hub keeps soFar itself, not a copy, until End, so that a reader who
// joins mid-fragment gets it whole without ingest paying a second copy of
// every byte; the caller only appends to it and must not change its bytes
// before End. Subscribers get their own copy of the new bytes. Calls for a
// fragment that is no longer current (its session was superseded) are
// ignored.
func (h *Hub) Data(name string, number uint64, soFar []byte) {
	st := h.stream(name)
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.cur == nil || st.cur.Number != number {
		return
	}
	added := soFar[min(len(st.curData), len(soFar)):]
	st.curData = soFar
	if len(st.subs) > 0 && len(added) > 0 {
		st.publish(Event{Kind: FragmentData, Data: append([]byte(nil), added...)})
	}
}

// End closes fragment number of the stream, if it is the current one.
func (h *Hub) End(name string, number uint64, ok bool) {
	st := h.stream(name)
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.cur == nil || st.cur.Number != number {
		return
	}
	st.cur, st.curData = nil, nil // the caller may reuse the bytes now
	st.publish(Event{Kind: FragmentEnd, OK: ok})
}
