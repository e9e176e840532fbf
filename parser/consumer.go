package parser

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Defaults of ConsumerConfig.
const (
	// DefaultMaxRetries is the default ConsumerConfig.MaxRetries.
	DefaultMaxRetries = 5
	// DefaultMinBackoff is the default ConsumerConfig.MinBackoff.
	DefaultMinBackoff = 250 * time.Millisecond
	// DefaultMaxBackoff is the default ConsumerConfig.MaxBackoff.
	DefaultMaxBackoff = 15 * time.Second
)

// signingName is the SigV4 service name of every Kinesis Video Streams API.
const signingName = "kinesisvideo"

// errIdle is the cancel cause of a connection that stayed silent for
// ConsumerConfig.IdleTimeout.
var errIdle = errors.New("parser: getmedia connection idle")

// ConsumerConfig configures a Consumer. Region and Credentials are those of
// an aws.Config (cfg.Region, cfg.Credentials); HTTPClient may be
// cfg.HTTPClient.
type ConsumerConfig struct {
	// Endpoint is the data endpoint of the stream, as returned by
	// GetDataEndpoint with APIName GET_MEDIA, e.g.
	// "https://b-1234abcd.kinesisvideo.us-west-2.amazonaws.com". The request
	// goes to Endpoint + "/getMedia".
	Endpoint string
	// StreamName names the stream; give it or StreamARN.
	StreamName string
	// StreamARN identifies the stream; give it or StreamName.
	StreamARN string
	// StartSelector is where the first request starts. The zero value
	// means StartNow.
	StartSelector StartSelector

	// Region is the signing region, e.g. "us-west-2".
	Region string
	// Credentials signs every request with SigV4 (service kinesisvideo).
	// aws.AnonymousCredentials sends unsigned requests.
	Credentials aws.CredentialsProvider
	// HTTPClient sends the requests. When nil the Consumer uses its own,
	// whose idle connections Close releases. Do not give it a client
	// timeout: GetMedia responses last as long as the stream is read.
	HTTPClient aws.HTTPClient

	// MaxRetries is how many failed attempts in a row (connection errors,
	// dropped or stalled responses, throttling, server errors) Run makes
	// before it gives up; an attempt that delivered a frame or completed a
	// chunk resets the count. 0 means DefaultMaxRetries, a negative value
	// retries forever.
	MaxRetries int
	// MinBackoff is the wait before the first retry; it doubles with each
	// failed attempt up to MaxBackoff, with jitter. 0 means
	// DefaultMinBackoff.
	MinBackoff time.Duration
	// MaxBackoff bounds the wait between attempts. 0 means
	// DefaultMaxBackoff.
	MaxBackoff time.Duration
	// IdleTimeout, when positive, treats a response that delivers no octet
	// for that long as dropped and resumes on a new connection. By default
	// a silent connection is waited on indefinitely: GetMedia keeps the
	// connection open while the stream has no new data.
	IdleTimeout time.Duration

	// Reader configures the chunk parser of each response.
	Reader Options
	// Logger receives reconnects and skipped data; nil discards.
	Logger *slog.Logger
}

// Consumer reads a Kinesis Video stream with GetMedia
// (https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/API_dataplane_GetMedia.html)
// and survives dropped connections: the Go counterpart of the Java
// library's GetMediaWorker and ContinuousGetMediaWorker.
//
// Run POSTs a SigV4-signed GetMedia request, parses the chunks as they
// stream in and calls a Handler. When the response fails or ends, it
// reconnects with exponential backoff, starting with the chunk after the
// last complete one: StartSelector CONTINUATION_TOKEN with that chunk's
// AWS_KINESISVIDEO_CONTINUATION_TOKEN, or FRAGMENT_NUMBER after its fragment
// number when it had no token, or the configured selector when no chunk
// completed yet.
//
// Every frame is delivered exactly once, in order, with no gap, even when a
// connection drops in the middle of a chunk. Frames are delivered as they
// arrive (not held back until their chunk is complete), so the Consumer
// remembers how many frames of the current chunk it delivered. The server
// resends that chunk from its start on the next connection: the Consumer
// recognizes it by its fragment number, skips the frames already delivered
// (checking that the last one matches), and does not repeat ChunkStart. A
// chunk whose fragment number is not above the last complete one is
// skipped whole. If the server does not resend the partly delivered chunk
// (e.g. with StartNow and no complete chunk yet) the rest of it is lost and
// ChunkEnd is never called for it; this is logged. Exactly-once needs
// fragment numbers, which all GetMedia output carries.
//
// A resumed chunk keeps the *Chunk of its ChunkStart: Frame and ChunkEnd get
// the same pointer, completed with the trailing metadata at ChunkEnd. Chunk
// indexes count the chunks delivered by the Consumer.
//
// An event counts as delivered when the Handler returns nil or ErrStop for
// it; an event whose Handler call failed is delivered again by the next Run.
//
// A Consumer is not safe for concurrent use. Run may be called again after
// it returns; it resumes from Checkpoint and keeps its exactly-once state.
type Consumer struct {
	cfg    ConsumerConfig
	url    string
	client aws.HTTPClient
	own    *http.Transport
	signer *v4.Signer
	log    *slog.Logger
	now    func() time.Time
	rd     *Reader

	token    string // continuation token of the last complete chunk
	lastFrag string // fragment number of the last complete chunk
	part     *partial
	index    int // index of the next delivered chunk
	requests int
}

// partial is the chunk whose ChunkStart was delivered but not its ChunkEnd.
type partial struct {
	chunk  *Chunk
	frames int // frames delivered
	last   frameID
}

// frameID identifies a delivered frame for the resume check.
type frameID struct {
	track uint64
	ticks int64
	size  int
}

// NewConsumer checks cfg and returns a Consumer. It does not connect.
func NewConsumer(cfg ConsumerConfig) (*Consumer, error) {
	if cfg.Endpoint == "" {
		return nil, fmt.Errorf("new consumer: no endpoint: %w", ErrInvalidConfig)
	}
	if (cfg.StreamName == "") == (cfg.StreamARN == "") {
		return nil, fmt.Errorf("new consumer: give exactly one of stream name and stream arn: %w", ErrInvalidConfig)
	}
	if cfg.Credentials == nil {
		return nil, fmt.Errorf("new consumer: no credentials: %w", ErrInvalidConfig)
	}
	if cfg.Region == "" {
		return nil, fmt.Errorf("new consumer: no region: %w", ErrInvalidConfig)
	}
	if cfg.StartSelector.Type == "" {
		cfg.StartSelector.Type = StartNow
	}
	if err := cfg.StartSelector.Validate(); err != nil {
		return nil, fmt.Errorf("new consumer: %w", err)
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = DefaultMaxRetries
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = DefaultMinBackoff
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	cfg.MaxBackoff = max(cfg.MaxBackoff, cfg.MinBackoff)
	c := &Consumer{
		cfg:    cfg,
		url:    strings.TrimRight(cfg.Endpoint, "/") + "/getMedia",
		client: cfg.HTTPClient,
		signer: v4.NewSigner(),
		log:    cfg.Logger,
		now:    time.Now,
		rd:     NewReader(nil, cfg.Reader),
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.client == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.ResponseHeaderTimeout = 30 * time.Second
		t.DisableCompression = true
		c.own = t
		c.client = &http.Client{Transport: t}
	}
	return c, nil
}

// Close releases the idle connections of the Consumer's own HTTP client. It
// does not stop a running Run; cancel its context for that.
func (c *Consumer) Close() error {
	if c.own != nil {
		c.own.CloseIdleConnections()
	}
	return nil
}

// Checkpoint returns the StartSelector that resumes after the last complete
// chunk: what the next request of Run would send. Persist it at ChunkEnd to
// resume in a later process (frames of a chunk that was not complete are
// then delivered again).
func (c *Consumer) Checkpoint() StartSelector {
	switch {
	case c.token != "":
		return StartSelector{Type: StartContinuationToken, ContinuationToken: c.token}
	case c.lastFrag != "":
		return StartSelector{Type: StartFragmentNumber, AfterFragmentNumber: c.lastFrag}
	}
	return c.cfg.StartSelector
}

// Requests returns the number of GetMedia requests sent so far.
func (c *Consumer) Requests() int { return c.requests }

// Run reads the stream and calls h until ctx is done, h returns an error, or
// the stream fails for good. It returns ctx's error when ctx is done, nil
// when h returns ErrStop, h's other errors as they are, a *StreamError for
// AWS_KINESISVIDEO_ERROR_* tags, an *APIError for an HTTP error that is not
// worth retrying (or after MaxRetries failed attempts), and ErrResumeMismatch
// if a resumed chunk does not match what was delivered.
//
// A response that ends cleanly after complete chunks (the service closes
// idle GetMedia connections) is not a failure: Run reconnects, at once if
// the response delivered data and after a growing delay otherwise.
func (c *Consumer) Run(ctx context.Context, h Handler) error {
	failures, empty := 0, 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		progress, retry, err := c.attempt(ctx, h)
		if errors.Is(err, ErrStop) {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var delay time.Duration
		switch {
		case err == nil:
			failures = 0
			if progress {
				empty = 0
				continue
			}
			empty++
			delay = c.backoff(empty)
		case !retry:
			return err
		default:
			if progress {
				failures, empty = 0, 0
			}
			failures++
			if c.cfg.MaxRetries >= 0 && failures > c.cfg.MaxRetries {
				return fmt.Errorf("get media: giving up after %d failed attempts: %w", failures, err)
			}
			delay = c.backoff(failures)
			c.log.Warn("getmedia: reconnecting", "err", err, "attempt", failures, "delay", delay, "resume", c.Checkpoint().Type)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// backoff returns the wait before attempt n (from 1): MinBackoff doubled n-1
// times, capped at MaxBackoff, with the upper half jittered.
func (c *Consumer) backoff(n int) time.Duration {
	d := c.cfg.MaxBackoff
	if n < 32 {
		d = min(c.cfg.MinBackoff<<(n-1), c.cfg.MaxBackoff)
	}
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2)
}

// attempt sends one request and delivers what it returns. It reports
// whether anything new was delivered, and whether an error is worth a retry.
func (c *Consumer) attempt(ctx context.Context, h Handler) (progress, retry bool, err error) {
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var idle *time.Timer
	if d := c.cfg.IdleTimeout; d > 0 {
		idle = time.AfterFunc(d, func() { cancel(errIdle) })
		defer idle.Stop()
	}
	body, err := c.open(actx)
	if err != nil {
		if context.Cause(actx) == errIdle {
			return false, true, fmt.Errorf("get media: no response for %s: %w", c.cfg.IdleTimeout, errIdle)
		}
		var ae *APIError
		if errors.As(err, &ae) {
			return false, ae.Retryable(), err
		}
		return false, !errors.Is(err, ErrInvalidConfig), err
	}
	defer body.Close()
	var src io.Reader = body
	if idle != nil {
		src = &idleReader{r: body, t: idle, d: c.cfg.IdleTimeout}
	}
	c.rd.Reset(src)
	progress, err = c.deliver(h)
	var he *handlerError
	switch {
	case err == nil:
		return progress, false, nil
	case errors.As(err, &he):
		return progress, false, he.err
	case context.Cause(actx) == errIdle:
		return progress, true, fmt.Errorf("get media: no data for %s: %w", c.cfg.IdleTimeout, errIdle)
	}
	var se *StreamError
	if errors.As(err, &se) || errors.Is(err, ErrResumeMismatch) {
		return progress, false, err
	}
	return progress, true, fmt.Errorf("get media: %w", err)
}

// handlerError marks an error returned by the Handler, which Run returns as
// is.
type handlerError struct{ err error }

// Error returns the Handler's message.
func (e *handlerError) Error() string { return e.err.Error() }

// handlerErr wraps an error of the Handler.
func handlerErr(err error) error {
	if err == nil {
		return nil
	}
	return &handlerError{err}
}

// deliver reads one response and calls h, keeping the exactly-once state.
// A ChunkStart is acted on only when the chunk's first frame or its end
// arrives, so a chunk cut off before its first frame changes nothing.
func (c *Consumer) deliver(h Handler) (progress bool, err error) {
	var (
		pending  *Chunk // chunk whose start is not acted on yet
		skip     int    // frames of a resumed chunk still to skip
		dropping bool   // the current chunk was delivered already
	)
	for {
		k, err := c.rd.Next()
		if err == io.EOF {
			return progress, nil
		}
		if err != nil {
			return progress, err
		}
		ch := c.rd.Chunk()
		if k == KindChunkStart {
			pending, skip, dropping = ch, 0, false
			continue
		}
		if pending != nil {
			ch := pending
			pending = nil
			switch p := c.part; {
			case c.delivered(ch):
				c.log.Info("getmedia: skipping a chunk delivered before", "fragment", ch.FragmentNumber)
				dropping = true
			case p != nil && p.chunk.FragmentNumber != "" && ch.FragmentNumber == p.chunk.FragmentNumber:
				skip = p.frames // resumed: its ChunkStart was delivered
			default:
				if p != nil {
					c.log.Warn("getmedia: partly delivered chunk was not resent", "fragment", p.chunk.FragmentNumber, "frames", p.frames)
				}
				ch.Index = c.index
				err := h.dispatch(KindChunkStart, ch, nil)
				if err != nil && !errors.Is(err, ErrStop) {
					return progress, handlerErr(err)
				}
				c.index++
				c.part = &partial{chunk: ch}
				if err != nil {
					return progress, handlerErr(err)
				}
			}
		}
		if dropping {
			continue
		}
		p := c.part
		switch k {
		case KindFrame:
			f := c.rd.Frame()
			id := frameID{track: f.Track, ticks: f.ticks, size: len(f.Data)}
			if skip > 0 {
				if skip--; skip == 0 && id != p.last {
					return progress, fmt.Errorf("fragment %s frame %d: %w", ch.FragmentNumber, f.Index, ErrResumeMismatch)
				}
				continue
			}
			p.chunk.Frames = ch.Frames
			err := h.dispatch(KindFrame, p.chunk, f)
			if err != nil && !errors.Is(err, ErrStop) {
				return progress, handlerErr(err)
			}
			p.frames++
			p.last = id
			progress = true
			if err != nil {
				return progress, handlerErr(err)
			}
		case KindChunkEnd:
			if skip > 0 {
				return progress, fmt.Errorf("fragment %s ends after %d frames, %d were delivered: %w",
					ch.FragmentNumber, ch.Frames, p.frames, ErrResumeMismatch)
			}
			if p.chunk != ch {
				index := p.chunk.Index
				*p.chunk = *ch
				p.chunk.Index = index
			}
			err := h.dispatch(KindChunkEnd, p.chunk, nil)
			if err != nil && !errors.Is(err, ErrStop) {
				return progress, handlerErr(err) // a later Run delivers the end again
			}
			c.part = nil
			if ch.ContinuationToken != "" {
				c.token = ch.ContinuationToken
			}
			if ch.FragmentNumber != "" {
				c.lastFrag = ch.FragmentNumber
			}
			progress = true
			if err != nil {
				return progress, handlerErr(err)
			}
		}
	}
}

// delivered reports whether chunk ch was completed before: its fragment
// number is not above the last complete one (fragment numbers grow in
// ingestion order).
func (c *Consumer) delivered(ch *Chunk) bool {
	a, b := ch.FragmentNumber, c.lastFrag
	if a == "" || b == "" {
		return false
	}
	if a == b {
		return true
	}
	if !digits(a) || !digits(b) {
		return false
	}
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// getMediaInput is the GetMedia request body.
type getMediaInput struct {
	StreamName    string        `json:"StreamName,omitempty"`
	StreamARN     string        `json:"StreamARN,omitempty"`
	StartSelector StartSelector `json:"StartSelector"`
}

// open sends a signed GetMedia request and returns the response body.
func (c *Consumer) open(ctx context.Context) (io.ReadCloser, error) {
	body, err := json.Marshal(getMediaInput{StreamName: c.cfg.StreamName, StreamARN: c.cfg.StreamARN, StartSelector: c.Checkpoint()})
	if err != nil {
		return nil, fmt.Errorf("encode get media request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("new get media request: %w: %w", err, ErrInvalidConfig)
	}
	req.Header.Set("Content-Type", "application/json")
	if _, anon := c.cfg.Credentials.(aws.AnonymousCredentials); !anon {
		creds, err := c.cfg.Credentials.Retrieve(ctx)
		if err != nil {
			return nil, fmt.Errorf("retrieve credentials: %w", err)
		}
		sum := sha256.Sum256(body)
		if err := c.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), signingName, c.cfg.Region, c.now()); err != nil {
			return nil, fmt.Errorf("sign get media request: %w", err)
		}
	}
	req.Header.Set("User-Agent", "openkvs-parser")
	c.requests++
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("get media: %w", err)
	}
	if resp.StatusCode == http.StatusOK {
		return resp.Body, nil
	}
	defer resp.Body.Close()
	return nil, readAPIError(resp)
}

// readAPIError decodes an AWS REST-JSON error response.
func readAPIError(resp *http.Response) error {
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	e := &APIError{StatusCode: resp.StatusCode, RequestID: resp.Header.Get("x-amzn-RequestId")}
	var body struct {
		Type     string `json:"__type"`
		Message  string `json:"message"`
		Message2 string `json:"Message"`
	}
	_ = json.Unmarshal(data, &body)
	e.Message = body.Message
	if e.Message == "" {
		e.Message = body.Message2
	}
	typ := resp.Header.Get("x-amzn-ErrorType")
	if typ == "" {
		typ = body.Type
	}
	typ, _, _ = strings.Cut(typ, ":")
	if i := strings.LastIndexByte(typ, '#'); i >= 0 {
		typ = typ[i+1:]
	}
	e.Type = typ
	return e
}

// idleReader restarts the idle timer whenever data arrives.
type idleReader struct {
	r io.Reader
	t *time.Timer
	d time.Duration
}

// Read reads from the response body and restarts the idle timer on data.
func (i *idleReader) Read(p []byte) (int, error) {
	n, err := i.r.Read(p)
	if n > 0 {
		i.t.Reset(i.d)
	}
	return n, err
}
