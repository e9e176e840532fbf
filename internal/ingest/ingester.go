package ingest

import (
	"context"
	"errors"
	"hash/fnv"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openkvs/openkvs/internal/errkind"
	"github.com/openkvs/openkvs/internal/live"
	"github.com/openkvs/openkvs/internal/store"
)

// Config holds the PutMedia limits. Zero values take the KVS defaults
// (shared/spec/data-plane-api.md §15).
type Config struct {
	MaxFragmentBytes      int64         // 50 MB
	MaxFragmentDuration   time.Duration // 20 s
	MaxTracks             int           // 3
	MaxMetadataTags       int           // 10 per fragment
	MaxConnectionDuration time.Duration // 45 min
	// MaxProducerTimeAhead is how far a fragment's producer timestamp may
	// be ahead of the server clock when the fragment starts; beyond it the
	// fragment gets ERROR 4007. The spec names the error ("producer clock
	// drifted far into the future") but no threshold. 15 min is the clock
	// skew AWS allows a request's signing date, so an ABSOLUTE producer
	// whose clock signs its requests fails the same way either way;
	// RELATIVE uploads sent faster than real time drift ahead by the media
	// time gained. Negative turns the check off.
	MaxProducerTimeAhead time.Duration // 15 min
	// IdleAckInterval is how often IDLE is sent while no data arrives. The
	// producer C SDK treats a connection without acks for 5 s as stale.
	IdleAckInterval time.Duration // 1 s
	// IdleTimeout closes a session that received nothing for this long.
	IdleTimeout time.Duration // 30 s
	// ConnectionsPerSecond limits new PutMedia sessions per stream.
	ConnectionsPerSecond int // 5
	// BytesPerSecond and FragmentsPerSecond pace a session's reading, as
	// KVS throttles a stream above its quota; 0 means no limit.
	BytesPerSecond     int64
	FragmentsPerSecond float64
}

func (c Config) withDefaults() Config {
	def := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.MaxFragmentBytes, 50_000_000)
	durs := []struct {
		v *time.Duration
		d time.Duration
	}{{&c.MaxFragmentDuration, 20 * time.Second}, {&c.MaxConnectionDuration, 45 * time.Minute},
		{&c.IdleAckInterval, time.Second}, {&c.IdleTimeout, 30 * time.Second}}
	for _, x := range durs {
		if *x.v <= 0 {
			*x.v = x.d
		}
	}
	if c.MaxProducerTimeAhead == 0 {
		c.MaxProducerTimeAhead = 15 * time.Minute
	}
	if c.MaxTracks <= 0 {
		c.MaxTracks = 3
	}
	if c.MaxMetadataTags <= 0 {
		c.MaxMetadataTags = 10
	}
	if c.ConnectionsPerSecond <= 0 {
		c.ConnectionsPerSecond = 5
	}
	return c
}

// FragmentStore is the part of store.Fragments that ingest uses.
type FragmentStore interface {
	ReserveNumber(ctx context.Context) (uint64, error)
	Append(ctx context.Context, f store.NewFragment) (store.Fragment, <-chan error, error)
	List(ctx context.Context, q store.FragmentQuery) ([]store.Fragment, error)
}

// Streams reports the current state of a stream incarnation.
type Streams interface {
	// RetentionHours returns the stream's DataRetentionInHours, or an
	// error if the stream (this ARN) no longer exists or is being deleted.
	RetentionHours(ctx context.Context, arn string) (int, error)
}

// Live receives each fragment as it arrives, for GetMedia readers at the
// live edge; see live.Hub. Its methods must not block.
type Live interface {
	Begin(stream string, info live.FragmentInfo)
	Data(stream string, number uint64, b []byte)
	End(stream string, number uint64, ok bool)
}

// Deps are the Ingester's collaborators. Live, Log and Now may be nil.
type Deps struct {
	Store   FragmentStore
	Streams Streams
	Live    Live
	Log     *slog.Logger
	Now     func() time.Time
}

// ErrThrottled is returned by Admit when a stream opens sessions too fast.
var ErrThrottled = errors.New("too many PutMedia connections")

// Ingester runs PutMedia sessions. One session per stream is current: a new
// one supersedes the older (the KVS quota rule that the last connection
// wins).
type Ingester struct {
	cfg     Config
	store   FragmentStore
	streams Streams
	live    Live
	log     *slog.Logger
	now     func() time.Time

	mu       sync.Mutex
	sessions map[string]*session
	admitted map[string][]time.Time

	// storeLocks serialise the look-up of a re-sent fragment and the
	// append that follows it, per stream (striped by ARN). A superseded
	// session may still complete the fragment it was reading while the new
	// connection completes the producer's resend of it; without the lock
	// both can miss the other's copy and store it twice.
	storeLocks [64]sync.Mutex
}

// storeLock returns the lock that orders stores into stream.
func (in *Ingester) storeLock(stream string) *sync.Mutex {
	h := fnv.New32a()
	_, _ = h.Write([]byte(stream))
	return &in.storeLocks[h.Sum32()%uint32(len(in.storeLocks))]
}

// New returns an Ingester.
func New(cfg Config, deps Deps) (*Ingester, error) {
	if deps.Store == nil || deps.Streams == nil {
		return nil, errors.New("ingest: store and streams are required")
	}
	in := &Ingester{cfg: cfg.withDefaults(), store: deps.Store, streams: deps.Streams, live: deps.Live, log: deps.Log, now: deps.Now,
		sessions: map[string]*session{}, admitted: map[string][]time.Time{}}
	if in.log == nil {
		in.log = slog.New(slog.DiscardHandler)
	}
	if in.now == nil {
		in.now = time.Now
	}
	if in.live == nil {
		in.live = noLive{}
	}
	return in, nil
}

// Admit counts a new PutMedia connection against the stream's rate limit and
// returns an ErrThrottled error when it exceeds ConnectionsPerSecond.
func (in *Ingester) Admit(arn string) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	now := in.now()
	recent := in.admitted[arn][:0]
	for _, t := range in.admitted[arn] {
		if now.Sub(t) < time.Second {
			recent = append(recent, t)
		}
	}
	if len(recent) >= in.cfg.ConnectionsPerSecond {
		in.admitted[arn] = recent
		return errkind.New(ErrThrottled, "The stream has opened more than %d PutMedia connections in the last second.", in.cfg.ConnectionsPerSecond)
	}
	in.admitted[arn] = append(recent, now)
	return nil
}

// Params describe one PutMedia session, from its request headers.
type Params struct {
	StreamARN string
	// Absolute is true for x-amzn-fragment-timecode-type ABSOLUTE: cluster
	// timecodes are producer timestamps. RELATIVE timecodes count from
	// ProducerStart.
	Absolute      bool
	ProducerStart time.Time
	// AcksRequired is x-amzn-fragment-acknowledgment-required; without it
	// only ERROR acks are sent.
	AcksRequired bool
}

// Serve runs one session until the body ends, the producer goes idle for
// IdleTimeout, a newer session for the stream supersedes it, a fatal
// error ack is sent, or ctx ends. abort must make a pending body Read return
// (the api layer sets a past read deadline). Serve returns once every ack it
// owes has been written.
func (in *Ingester) Serve(ctx context.Context, p Params, body io.Reader, abort func(), acks AckWriter) error {
	s := &session{
		in: in, p: p, abort: sync.OnceFunc(abort), acks: acks,
		events:    make(chan event, 64),
		start:     in.now(),
		bytes:     newPacer(float64(in.cfg.BytesPerSecond)),
		fragments: newPacer(in.cfg.FragmentsPerSecond),
	}
	s.lastData.Store(s.start.UnixNano())
	in.mu.Lock()
	if old := in.sessions[p.StreamARN]; old != nil {
		in.log.Info("PutMedia session superseded by a newer connection", "stream", p.StreamARN)
		old.superseded.Store(true)
		old.abort()
	}
	in.sessions[p.StreamARN] = s
	in.mu.Unlock()
	defer func() {
		in.mu.Lock()
		if in.sessions[p.StreamARN] == s {
			delete(in.sessions, p.StreamARN)
		}
		in.mu.Unlock()
	}()

	// The ack loop runs until every queued ack is written, even after ctx
	// ends: aborting the body read cancels the request's context, and the
	// ERROR ack that caused the abort must still go out.
	ackDone := make(chan struct{})
	go func() {
		defer close(ackDone)
		s.ackLoop()
	}()
	err := s.parse(ctx, &countingReader{r: body, s: s})
	close(s.events)
	<-ackDone
	return err
}

// event is what the parse loop hands the ack loop, in order. A non-nil
// durable channel follows a RECEIVED ack: PERSISTED (or ERROR 5001) is sent
// when it yields.
type event struct {
	ack     Ack
	durable <-chan error
}

// countingReader records when data last arrived, for IDLE acks, and the
// source's own read error, which tells a dropped connection from bytes that
// are not Matroska.
type countingReader struct {
	r   io.Reader
	s   *session
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.s.lastData.Store(c.s.in.now().UnixNano())
		c.s.bytes.take(float64(n))
	}
	if err != nil && !errors.Is(err, io.EOF) {
		c.err = err
	}
	return n, err
}

type session struct {
	bytes      *pacer
	fragments  *pacer
	in         *Ingester
	p          Params
	abort      func()
	acks       AckWriter
	events     chan event
	start      time.Time
	lastData   atomic.Int64
	superseded atomic.Bool
	idledOut   atomic.Bool
}

// send queues an event for the ack loop, which drains the queue until the
// parse loop closes it, so send never blocks for long.
func (s *session) send(ev event) { s.events <- ev }

// ackLoop writes acks in the order the parse loop produced them, turns each
// durability signal into PERSISTED, and sends IDLE while no data arrives.
// It ends when the parse loop is done and every durability signal came (the
// store always sends one).
func (s *session) ackLoop() {
	var (
		queue  []event // RECEIVED fragments waiting to be durable, in order
		closed bool
		failed bool
	)
	tick := time.NewTicker(s.in.cfg.IdleAckInterval)
	defer tick.Stop()
	write := func(a Ack) {
		if failed || (!s.p.AcksRequired && a.Event != EventError) {
			return
		}
		if err := s.acks.WriteAck(a); err != nil {
			failed = true // the producer is gone; stop its body too
			s.abort()
		}
	}
	for !closed || len(queue) > 0 {
		var head <-chan error
		if len(queue) > 0 {
			head = queue[0].durable
		}
		select {
		case ev, ok := <-s.events:
			if !ok {
				closed = true
				s.events = nil
				continue
			}
			write(ev.ack)
			if ev.durable != nil {
				queue = append(queue, ev)
			}
		case err := <-head:
			a := queue[0].ack
			queue = queue[1:]
			if err != nil {
				s.in.log.Error("fragment not persisted", "stream", s.p.StreamARN, "fragment", a.Number, "err", err)
				a.Event, a.Error = EventError, ErrArchival
			} else {
				a.Event = EventPersisted
			}
			write(a)
		case <-tick.C:
			if closed {
				continue
			}
			idle := s.in.now().Sub(time.Unix(0, s.lastData.Load()))
			if idle >= s.in.cfg.IdleTimeout {
				s.idledOut.Store(true)
				s.abort()
			} else if idle >= s.in.cfg.IdleAckInterval {
				write(Ack{Event: EventIdle})
			}
		}
	}
}

// noLive is the Live of an Ingester without live readers.
type noLive struct{}

func (noLive) Begin(string, live.FragmentInfo) {}
func (noLive) Data(string, uint64, []byte)     {}
func (noLive) End(string, uint64, bool)        {}
