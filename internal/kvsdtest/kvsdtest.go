package kvsdtest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"

	"github.com/openkvs/openkvs/internal/config"
	"github.com/openkvs/openkvs/internal/server"
)

// Root credentials of every test server.
const (
	AccessKeyID     = "AKIAOPENKVSTEST00001"
	SecretAccessKey = "openkvs/test/secret/key/0000000000000000"
	Region          = "us-east-1"
)

// Server is a running test kvsd.
type Server struct {
	URL     string
	DataDir string
	Config  config.Config
	opts    []server.Option
	stop    context.CancelFunc
	done    chan error
}

// Option changes the test server's configuration.
type Option func(*config.Config)

// Start runs kvsd on 127.0.0.1:0 with a fresh data dir (or cfg.DataDir when
// an option sets it) and stops it when the test ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	return StartWith(t, nil, opts...)
}

// StartWith is Start with server options, such as a playback clock.
func StartWith(t testing.TB, serverOpts []server.Option, opts ...Option) *Server {
	t.Helper()
	cfg := config.Defaults()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.RootAccessKeyID, cfg.RootSecretAccessKey = AccessKeyID, SecretAccessKey
	cfg.TransitionDelay = 50 * time.Millisecond
	// Tests send media faster than realtime; the PutMedia rate limits have
	// tests of their own.
	cfg.PutMediaBytesPerSec, cfg.PutMediaFragmentsPerSec = 0, 0
	// The buffer pool is the test process's, shared by all its servers:
	// warming it per stream would only grow the process with every test.
	// TestBufferMemoryKeptMappedPerStream tests it in a kvsd of its own.
	cfg.BufferMemoryPerStream = 0
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	s := StartConfig(t, cfg, serverOpts...)
	t.Cleanup(func() { s.Stop(t) })
	return s
}

// StartConfig runs kvsd with cfg and opts as given; the caller must Stop it.
func StartConfig(t testing.TB, cfg config.Config, opts ...server.Option) *Server {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("KVSD_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, log, io.Discard, opts...)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	s := &Server{URL: srv.URL(), DataDir: cfg.DataDir, Config: cfg, opts: opts, stop: cancel, done: make(chan error, 1)}
	go func() {
		err := srv.Serve(ctx)
		if cerr := srv.Close(); err == nil {
			err = cerr
		}
		s.done <- err
	}()
	return s
}

// Stop shuts the server down gracefully and waits for it. It is safe to
// call more than once.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	if s.stop == nil {
		return
	}
	s.stop()
	s.stop = nil
	if err := <-s.done; err != nil {
		t.Errorf("kvsd stopped with error: %v", err)
	}
}

// AWSConfig returns an aws.Config signed with the root credentials.
func (s *Server) AWSConfig() aws.Config {
	return aws.Config{
		Region:      Region,
		Credentials: credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, ""),
		HTTPClient:  &http.Client{Timeout: 30 * time.Second},
		Retryer:     closedConnRetryer,
	}
}

// closedConnRetryer retries only a request whose connection Go's transport
// closed under it (net.ErrClosed, after a 200 had arrived: a known race in
// net/http's connection reuse, which the SDK's default retryer also
// retries). Tests assert on the first answer of every other kind, so API
// errors and throttling are never retried.
func closedConnRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 3
		o.RateLimiter = ratelimit.None
		o.Retryables = []retry.IsErrorRetryable{retry.IsErrorRetryableFunc(func(err error) aws.Ternary {
			return aws.BoolTernary(errors.Is(err, net.ErrClosed))
		})}
	})
}

// KinesisVideo returns a control-plane client for the server.
func (s *Server) KinesisVideo(optFns ...func(*kinesisvideo.Options)) *kinesisvideo.Client {
	return kinesisvideo.NewFromConfig(s.AWSConfig(), append([]func(*kinesisvideo.Options){func(o *kinesisvideo.Options) {
		o.BaseEndpoint = aws.String(s.URL)
	}}, optFns...)...)
}

// ArchivedMedia returns an archived-media client for the server.
func (s *Server) ArchivedMedia() *kinesisvideoarchivedmedia.Client {
	return kinesisvideoarchivedmedia.NewFromConfig(s.AWSConfig(), func(o *kinesisvideoarchivedmedia.Options) {
		o.BaseEndpoint = aws.String(s.URL)
	})
}
