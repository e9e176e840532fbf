package producer

import (
	"sync"
	"time"
)

// StreamMetrics are the counters and gauges of one stream: the producer
// SDK's StreamMetrics (§5.5) plus the library's counters.
type StreamMetrics struct {
	// CurrentViewDuration and CurrentViewSize cover what is buffered and
	// not sent yet (head − current).
	CurrentViewDuration time.Duration
	CurrentViewSize     int64
	// OverallViewDuration and OverallViewSize cover everything buffered
	// (head − tail): sent but unacknowledged fragments too.
	OverallViewDuration time.Duration
	OverallViewSize     int64
	// CurrentFrameRate is frames put per second, CurrentTransferRate octets
	// sent per second, both over about the last second.
	CurrentFrameRate    float64
	CurrentTransferRate float64

	FramesPut        uint64 // frames accepted by PutFrame
	FramesDropped    uint64 // frames refused or dropped with their fragment
	FragmentsPut     uint64 // fragments completed
	FragmentsAcked   uint64 // fragments released: PERSISTED (RECEIVED without retention)
	FragmentsDropped uint64 // fragments dropped unacknowledged
	// Retransmissions counts fragments written again on a new connection.
	Retransmissions uint64
	// Connections counts PutMedia connections opened; ConnectionErrors those
	// that failed or were cut.
	Connections      uint64
	ConnectionErrors uint64
	ErrorAcks        uint64
	BytesSent        int64

	// PersistedLatency is the time from a fragment's last octet sent to its
	// PERSISTED ack (RECEIVED without retention): the last one, and a moving
	// average.
	PersistedLatency    time.Duration
	AvgPersistedLatency time.Duration
}

// ClientMetrics sum up the streams of a Producer (§5.4).
type ClientMetrics struct {
	Streams int
	// ContentStoreSize is the sum of the streams' MaxBufferBytes,
	// ContentStoreAllocatedSize the octets buffered now.
	ContentStoreSize          int64
	ContentStoreAllocatedSize int64
	TotalFrameRate            float64
	TotalTransferRate         float64
}

// rateMeter measures a rate over windows of about a second.
type rateMeter struct {
	total, windowTotal float64
	windowStart        time.Time
	rate               float64
}

func (r *rateMeter) add(now time.Time, n float64) {
	r.total += n
	r.roll(now)
}

func (r *rateMeter) roll(now time.Time) {
	if r.windowStart.IsZero() {
		r.windowStart = now
		return
	}
	if el := now.Sub(r.windowStart); el >= time.Second {
		r.rate = (r.total - r.windowTotal) / el.Seconds()
		r.windowStart, r.windowTotal = now, r.total
	}
}

// current returns the rate, decayed to 0 when nothing came for a while.
func (r *rateMeter) current(now time.Time) float64 {
	r.roll(now)
	if !r.windowStart.IsZero() && now.Sub(r.windowStart) > 2*time.Second {
		return 0
	}
	return r.rate
}

// AckEvent is the EventType of a PutMedia acknowledgement.
type AckEvent string

// Ack event types.
const (
	EventBuffering AckEvent = "BUFFERING"
	EventReceived  AckEvent = "RECEIVED"
	EventPersisted AckEvent = "PERSISTED"
	EventError     AckEvent = "ERROR"
	EventIdle      AckEvent = "IDLE"
)

// Ack is one PutMedia acknowledgement as reported to Callbacks.FragmentAck.
type Ack struct {
	Event            AckEvent
	FragmentTimecode int64
	FragmentNumber   string
	ErrorID          int
	ErrorCode        string
}

// ConnectionState is the state of a stream's PutMedia connection.
type ConnectionState uint8

// Connection states.
const (
	// StateConnecting: a connection is being opened.
	StateConnecting ConnectionState = iota + 1
	// StateConnected: the service answered 200; media flows.
	StateConnected
	// StateDisconnected: the connection ended; the error says why (nil for
	// a rotation or an idle close). The library reconnects when there is
	// media to send.
	StateDisconnected
	// StateClosed: the stream is closed or failed; no more connections.
	StateClosed
)

func (s ConnectionState) String() string {
	switch s {
	case StateConnecting:
		return "connecting"
	case StateConnected:
		return "connected"
	case StateDisconnected:
		return "disconnected"
	case StateClosed:
		return "closed"
	}
	return "unknown"
}

// Callbacks report a stream's events, like the SDK's StreamCallbackProvider.
// Nil functions are skipped. They run one at a time, in order, on a
// goroutine of the stream's own and never with a lock held, so they may call
// the Stream's methods; a slow callback delays the ones after it, not the
// upload.
type Callbacks struct {
	// FragmentAck is called for every ack but IDLE.
	FragmentAck func(Ack)
	// FragmentDropped is called for a fragment dropped unacknowledged: by
	// the content store's bounds (ErrStorageFull), an ERROR ack (*AckError),
	// or Close.
	FragmentDropped func(FragmentInfo, error)
	// FrameDropped is called for a frame PutFrame refused, with its error.
	FrameDropped func(trackID uint64, pts time.Duration, err error)
	// Error is called for ERROR acks and connection failures.
	Error func(error)
	// ConnectionState is called when the PutMedia connection changes state.
	ConnectionState func(ConnectionState, error)
	// LatencyPressure is called when the unsent buffered duration first
	// exceeds StreamDefinition.MaxLatency.
	LatencyPressure func(buffered time.Duration)
}

// eventQueue runs callbacks in order on one goroutine, so that the library
// never calls application code with a lock held or from the upload path.
type eventQueue struct {
	mu     sync.Mutex
	q      []func()
	wake   chan struct{}
	closed bool
	done   chan struct{}
}

func newEventQueue() *eventQueue {
	e := &eventQueue{wake: make(chan struct{}, 1), done: make(chan struct{})}
	go e.run()
	return e
}

func (e *eventQueue) push(fn func()) {
	e.mu.Lock()
	if !e.closed {
		e.q = append(e.q, fn)
	}
	e.mu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

func (e *eventQueue) run() {
	defer close(e.done)
	for {
		e.mu.Lock()
		q, closed := e.q, e.closed
		e.q = nil
		e.mu.Unlock()
		for _, fn := range q {
			fn()
		}
		if closed && len(q) == 0 {
			return
		}
		if len(q) == 0 {
			<-e.wake
		}
	}
}

// close runs what is queued and stops the goroutine.
func (e *eventQueue) close() {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
	<-e.done
}
