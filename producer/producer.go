package producer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo/types"
)

// Options configures a Producer. The zero value is ready to use.
type Options struct {
	// Endpoint overrides the control-plane endpoint (e.g. a kvsd URL);
	// empty means the AWS endpoint of the config's region. The PutMedia
	// endpoint always comes from GetDataEndpoint.
	Endpoint string
	// HTTPClient sends PutMedia requests. It must allow a streamed request
	// body while the response is read (HTTP/1.1). Default: a client with
	// its own transport and no timeout (the request lasts up to
	// MaxConnectionDuration), which notices a cut connection at once even
	// while no media flows; with another client that takes until the next
	// frame, or ConnectionStaleness.
	HTTPClient *http.Client
	// MaxConnectionDuration is when a PutMedia connection is ended, at a
	// fragment boundary, and a new one opened; default 40 minutes, before
	// the service's 45-minute limit (ErrorId 4003).
	MaxConnectionDuration time.Duration
	// ConnectionStaleness is how long sent media may go without any ack
	// before the connection is considered broken and reopened
	// (connection_staleness); default 30 s.
	ConnectionStaleness time.Duration
	// MinBackoff and MaxBackoff bound the exponential delay between
	// reconnection attempts; default 200 ms and 15 s.
	MinBackoff, MaxBackoff time.Duration
	// Logger receives diagnostics; default none.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Transport: newTransport()}
	}
	if o.MaxConnectionDuration <= 0 {
		o.MaxConnectionDuration = 40 * time.Minute
	}
	if o.ConnectionStaleness <= 0 {
		o.ConnectionStaleness = 30 * time.Second
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 200 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 15 * time.Second
	}
	o.MaxBackoff = max(o.MaxBackoff, o.MinBackoff)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Producer is a client of the Kinesis Video Streams (or kvsd) service that
// uploads streams: the producer SDK's KinesisVideoProducer. It is safe for
// concurrent use.
type Producer struct {
	opts       Options
	region     string
	creds      aws.CredentialsProvider
	kv         *kinesisvideo.Client
	httpClient *http.Client

	mu      sync.Mutex
	streams map[*Stream]struct{}
}

// New returns a Producer that signs with cfg's credentials and region
// (e.g. from config.LoadDefaultConfig, which follows the SDK credential
// chain).
func New(cfg aws.Config, opts Options) (*Producer, error) {
	if cfg.Region == "" {
		return nil, fmt.Errorf("producer: the aws.Config has no region")
	}
	if cfg.Credentials == nil {
		return nil, fmt.Errorf("producer: the aws.Config has no credentials")
	}
	opts = opts.withDefaults()
	creds := cfg.Credentials
	if _, ok := creds.(*aws.CredentialsCache); !ok {
		creds = aws.NewCredentialsCache(creds)
	}
	kv := kinesisvideo.NewFromConfig(cfg, func(o *kinesisvideo.Options) {
		if opts.Endpoint != "" {
			o.BaseEndpoint = aws.String(opts.Endpoint)
		}
	})
	return &Producer{opts: opts, region: cfg.Region, creds: creds, kv: kv, httpClient: opts.HTTPClient, streams: map[*Stream]struct{}{}}, nil
}

// NewStream prepares the stream as the SDK does before it streams:
// DescribeStream, CreateStream when it does not exist (then waits until it
// is ACTIVE), TagStream when the definition has tags, and GetDataEndpoint
// for PutMedia. The returned Stream accepts frames at once; the upload
// connection opens when the first fragment starts.
func (p *Producer) NewStream(ctx context.Context, def StreamDefinition) (*Stream, error) {
	def = def.withDefaults(time.Now())
	if err := def.validate(); err != nil {
		return nil, err
	}
	retention, err := p.ensureStream(ctx, &def)
	if err != nil {
		return nil, fmt.Errorf("producer: set up stream %q: %w", def.Name, err)
	}
	endpoint, err := p.dataEndpoint(ctx, def.Name)
	if err != nil {
		return nil, fmt.Errorf("producer: set up stream %q: %w", def.Name, err)
	}
	s, err := newStream(def)
	if err != nil {
		return nil, err
	}
	s.releaseOnReceived = retention == 0
	uctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.up = &uploader{p: p, s: s, ctx: uctx, cancel: cancel, done: make(chan struct{}), endpoint: endpoint}
	s.up.start()
	p.mu.Lock()
	p.streams[s] = struct{}{}
	p.mu.Unlock()
	return s, nil
}

// ensureStream describes the stream, creates it when missing and waits
// for ACTIVE, and tags it; it returns the retention in hours.
func (p *Producer) ensureStream(ctx context.Context, def *StreamDefinition) (int32, error) {
	info, err := p.describe(ctx, def.Name)
	var notFound *types.ResourceNotFoundException
	if errors.As(err, &notFound) {
		in := &kinesisvideo.CreateStreamInput{
			StreamName:           aws.String(def.Name),
			MediaType:            aws.String(def.ContentType),
			DataRetentionInHours: aws.Int32(int32((def.Retention + time.Hour - 1) / time.Hour)),
		}
		if def.KMSKeyID != "" {
			in.KmsKeyId = aws.String(def.KMSKeyID)
		}
		if def.DeviceName != "" {
			in.DeviceName = aws.String(def.DeviceName)
		}
		var inUse *types.ResourceInUseException
		if _, err := p.kv.CreateStream(ctx, in); err != nil && !errors.As(err, &inUse) {
			return 0, fmt.Errorf("create stream: %w", err)
		}
		info, err = p.describe(ctx, def.Name)
	}
	// A stream that is being created or updated becomes ACTIVE; poll.
	for delay := 50 * time.Millisecond; err == nil && info.Status != types.StatusActive; delay = min(2*delay, time.Second) {
		if info.Status == types.StatusDeleting {
			return 0, fmt.Errorf("stream is being deleted: %w", ErrStreamFailed)
		}
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return 0, ctx.Err()
		}
		info, err = p.describe(ctx, def.Name)
	}
	if err != nil {
		return 0, fmt.Errorf("describe stream: %w", err)
	}
	if len(def.Tags) > 0 {
		if _, err := p.kv.TagStream(ctx, &kinesisvideo.TagStreamInput{StreamName: aws.String(def.Name), Tags: def.Tags}); err != nil {
			return 0, fmt.Errorf("tag stream: %w", err)
		}
	}
	return aws.ToInt32(info.DataRetentionInHours), nil
}

func (p *Producer) describe(ctx context.Context, name string) (*types.StreamInfo, error) {
	out, err := p.kv.DescribeStream(ctx, &kinesisvideo.DescribeStreamInput{StreamName: aws.String(name)})
	if err != nil {
		return nil, err
	}
	if out.StreamInfo == nil {
		return nil, errors.New("describe stream: no StreamInfo in the answer")
	}
	return out.StreamInfo, nil
}

// dataEndpoint returns the stream's PutMedia endpoint.
func (p *Producer) dataEndpoint(ctx context.Context, name string) (string, error) {
	out, err := p.kv.GetDataEndpoint(ctx, &kinesisvideo.GetDataEndpointInput{StreamName: aws.String(name), APIName: types.APINamePutMedia})
	if err != nil {
		return "", fmt.Errorf("get data endpoint: %w", err)
	}
	if aws.ToString(out.DataEndpoint) == "" {
		return "", errors.New("get data endpoint: empty DataEndpoint")
	}
	return aws.ToString(out.DataEndpoint), nil
}

// Metrics returns the sums over the producer's open streams.
func (p *Producer) Metrics() ClientMetrics {
	p.mu.Lock()
	streams := make([]*Stream, 0, len(p.streams))
	for s := range p.streams {
		streams = append(streams, s)
	}
	p.mu.Unlock()
	var m ClientMetrics
	for _, s := range streams {
		sm := s.Metrics()
		m.Streams++
		m.ContentStoreSize += s.def.MaxBufferBytes
		m.ContentStoreAllocatedSize += sm.OverallViewSize
		m.TotalFrameRate += sm.CurrentFrameRate
		m.TotalTransferRate += sm.CurrentTransferRate
	}
	return m
}

// Close closes every open stream (see Stream.Close) and returns their
// errors joined.
func (p *Producer) Close(ctx context.Context) error {
	p.mu.Lock()
	streams := make([]*Stream, 0, len(p.streams))
	for s := range p.streams {
		streams = append(streams, s)
	}
	p.mu.Unlock()
	errs := make([]error, len(streams))
	var wg sync.WaitGroup
	for i, s := range streams {
		wg.Go(func() { errs[i] = s.Close(ctx) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (p *Producer) forget(s *Stream) {
	p.mu.Lock()
	delete(p.streams, s)
	p.mu.Unlock()
}
