package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"time"

	"github.com/openkvs/openkvs/internal/api"
	"github.com/openkvs/openkvs/internal/auth"
	"github.com/openkvs/openkvs/internal/config"
	"github.com/openkvs/openkvs/internal/control"
	"github.com/openkvs/openkvs/internal/ingest"
	"github.com/openkvs/openkvs/internal/live"
	"github.com/openkvs/openkvs/internal/media"
	"github.com/openkvs/openkvs/internal/playback"
	"github.com/openkvs/openkvs/internal/playback/clip"
	"github.com/openkvs/openkvs/internal/playback/dash"
	"github.com/openkvs/openkvs/internal/playback/hls"
	"github.com/openkvs/openkvs/internal/playback/session"
	"github.com/openkvs/openkvs/internal/prefault"
	"github.com/openkvs/openkvs/internal/store/local"
)

// Server is a running kvsd.
type Server struct {
	cfg      config.Config
	log      *slog.Logger
	lock     *os.File
	catalog  *local.Catalog
	media    *local.Fragments
	control  *control.Service
	listener net.Listener
	http     *http.Server
	debug    *http.Server // pprof, when -debug-listen is set
	hls      *hls.Service
	url      string
	// CertFile is the PEM certificate served, when TLS is on.
	CertFile string
}

// Option changes how New builds a Server beyond what config.Config sets.
type Option func(*options)

type options struct {
	playbackClock func() time.Time
}

// WithPlaybackClock sets the clock that HLS and DASH sessions are issued
// and expired by. Tests use it to see a session expire without waiting
// the 300 s minimum of Expires.
func WithPlaybackClock(now func() time.Time) Option {
	return func(o *options) { o.playbackClock = now }
}

// New builds every component and binds the listener, but serves nothing
// until Serve. stdout receives the one-time notice of generated credentials.
func New(ctx context.Context, cfg config.Config, log *slog.Logger, stdout io.Writer, opts ...Option) (_ *Server, err error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	s := &Server{cfg: cfg, log: log}
	defer func() {
		if err != nil {
			_ = s.Close() // releases whatever was built before the failure
		}
	}()
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	if s.lock, err = lockDataDir(cfg.DataDir); err != nil {
		return nil, err
	}
	creds := auth.Credentials{AccessKeyID: cfg.RootAccessKeyID, SecretAccessKey: cfg.RootSecretAccessKey}
	if creds.AccessKeyID == "" {
		var created bool
		if creds, created, err = auth.LoadOrCreateRoot(cfg.DataDir); err != nil {
			return nil, err
		}
		if created {
			fmt.Fprintf(stdout, "Generated root credentials (stored in %s, shown once):\n  AWS_ACCESS_KEY_ID=%s\n  AWS_SECRET_ACCESS_KEY=%s\n",
				filepath.Join(cfg.DataDir, "root-credentials.json"), creds.AccessKeyID, creds.SecretAccessKey)
		}
	}
	if s.catalog, err = local.OpenCatalog(ctx, cfg.DataDir, local.CatalogOptions{}); err != nil {
		return nil, err
	}
	if s.media, err = local.OpenFragments(ctx, cfg.DataDir, local.FragmentsOptions{MaxBytes: cfg.MaxMediaBytes, Logger: log}); err != nil {
		return nil, err
	}
	if cfg.PrewarmBuffers > 0 {
		start := time.Now()
		n := prefault.Prewarm(cfg.PrewarmBuffers)
		log.Info("buffer memory mapped ahead", "bytes", n, "took", time.Since(start))
	}
	warmer := newBufferWarmer(cfg.BufferMemoryPerStream)
	if cfg.BufferMemoryPerStream > 0 {
		streams, err := s.catalog.CountStreams(ctx)
		if err != nil {
			return nil, err
		}
		warmer.add(streams)
		if streams > 0 {
			log.Info("mapping buffer memory for the stored streams in the background", "streams", streams,
				"bytes", warmer.target(int64(streams)))
		}
	}
	if s.listener, err = net.Listen("tcp", cfg.Listen); err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	s.listener = readAheadListener{s.listener}
	s.url = advertiseURL(cfg, s.listener.Addr())
	if s.control, err = control.New(control.Config{
		Region:          cfg.Region,
		AccountID:       cfg.AccountID,
		DataEndpoint:    s.url,
		MaxStreams:      cfg.StreamLimit(),
		TransitionDelay: cfg.TransitionDelay,
	}, control.Deps{Catalog: warmingCatalog{s.catalog, warmer}, Media: s.media, Log: log}); err != nil {
		return nil, err
	}
	mode := auth.ModeSigV4
	if cfg.Auth == config.AuthNone {
		mode = auth.ModeNone
		log.Warn("authentication is off: any well-formed credentials are accepted (-auth=none)")
	}
	verifier := &auth.Verifier{
		Region: cfg.Region, Service: "kinesisvideo", Mode: mode, MaxSkew: 15 * time.Minute,
		Secrets: func(id string) (string, bool) {
			if id == creds.AccessKeyID {
				return creds.SecretAccessKey, true
			}
			return "", false
		},
	}
	hub := live.NewHub()
	reader, err := media.New(media.Config{
		GetMediaConnections:     cfg.GetMediaConnections,
		MetadataPointsPerSecond: quotaRate(cfg.FragmentMetadataPointsPerSec),
		MediaPointsPerSecond:    quotaRate(cfg.FragmentMediaPointsPerSec),
	}, media.Deps{Store: s.media, Live: hub, Log: log})
	if err != nil {
		return nil, err
	}
	ingester, err := ingest.New(ingest.Config{
		MaxFragmentBytes:      cfg.MaxFragmentSize,
		MaxFragmentDuration:   cfg.MaxFragmentDuration,
		MaxConnectionDuration: cfg.MaxConnectionDuration,
		ConnectionsPerSecond:  cfg.PutMediaConnectionsPerSec,
		IdleAckInterval:       cfg.IdleAckInterval,
		IdleTimeout:           cfg.IdleTimeout,
		MaxProducerTimeAhead:  producerTimeAhead(cfg.MaxProducerTimeAhead),
		BytesPerSecond:        cfg.PutMediaBytesPerSec,
		FragmentsPerSecond:    cfg.PutMediaFragmentsPerSec,
	}, ingest.Deps{Store: s.media, Streams: s.control, Live: hub, Log: log})
	if err != nil {
		return nil, err
	}
	playbackSrc := playback.NewSource(s.media)
	clips, err := clip.New(clip.Config{}, playbackSrc, nil)
	if err != nil {
		return nil, err
	}
	sessionKey, err := session.LoadOrCreateKey(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	sessionCfg := session.Config{Key: sessionKey, MaxSessionsPerStream: cfg.PlaybackSessionsPerStream, Now: o.playbackClock}
	sessions, err := hls.New(sessionCfg, playbackSrc)
	if err != nil {
		return nil, err
	}
	sessions.SetLive(hub)
	s.hls = sessions
	dashSessions, err := dash.New(sessionCfg, playbackSrc)
	if err != nil {
		return nil, err
	}
	handler, err := api.New(api.Config{MaxBodyBytes: cfg.MaxRequestBody},
		api.Deps{Verifier: verifier, Control: s.control, Ingest: ingester, Media: reader, Clip: clips, HLS: sessions, DASH: dashSessions, Log: log})
	if err != nil {
		return nil, err
	}
	s.http = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if cfg.TLS() {
		certFile, keyFile := cfg.TLSCert, cfg.TLSKey
		if cfg.TLSSelfSigned {
			host, _, _ := net.SplitHostPort(s.listener.Addr().String())
			if certFile, keyFile, err = selfSignedCert(cfg.DataDir, host); err != nil {
				return nil, err
			}
		}
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("load TLS certificate: %w", err)
		}
		s.CertFile = certFile
		s.listener = tls.NewListener(s.listener, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	}
	return s, nil
}

// quotaRate maps a configured quota (0 = none) to media.Config's form
// (0 = the KVS default, negative = none).
func quotaRate(v float64) float64 {
	if v == 0 {
		return -1
	}
	return v
}

// advertiseURL is the configured advertise URL, or one derived from the bound
// address (so port 0 works), with loopback for a wildcard host.
func advertiseURL(cfg config.Config, addr net.Addr) string {
	if cfg.AdvertiseURL != "" {
		return cfg.AdvertiseURL
	}
	scheme := "http"
	if cfg.TLS() {
		scheme = "https"
	}
	host, port, _ := net.SplitHostPort(addr.String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// lockDataDir takes an exclusive lock so that two kvsd processes never
// share one data directory.
func lockDataDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := lockFile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("data dir %s is in use by another kvsd: %w", dir, err)
	}
	return f, nil
}

// URL is the base URL clients use, e.g. http://127.0.0.1:4566.
func (s *Server) URL() string { return s.url }

// Serve serves until ctx is done, then shuts down gracefully, waiting up to
// the configured timeout for requests in flight.
func (s *Server) Serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(s.listener) }()
	if s.cfg.DebugListen != "" {
		if err := s.serveDebug(); err != nil {
			return err
		}
	}
	s.log.Info("kvsd ready", "url", s.url, "data_dir", s.cfg.DataDir, "region", s.cfg.Region, "auth", s.cfg.Auth)
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := s.http.Shutdown(sctx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}

// Close releases every component, in reverse order of construction.
func (s *Server) Close() error {
	var errs []error
	if s.debug != nil {
		errs = append(errs, s.debug.Close())
	}
	if s.http != nil {
		errs = append(errs, s.http.Close())
	} else if s.listener != nil {
		errs = append(errs, s.listener.Close())
	}
	if s.hls != nil {
		s.hls.Close() // its low-latency hub subscriptions
	}
	if s.control != nil {
		errs = append(errs, s.control.Close())
	}
	if s.media != nil {
		errs = append(errs, s.media.Close())
	}
	if s.catalog != nil {
		errs = append(errs, s.catalog.Close())
	}
	if s.lock != nil {
		errs = append(errs, s.lock.Close())
	}
	return errors.Join(errs...)
}

// serveDebug serves net/http/pprof on its own listener, so that profiles
// are never reachable through the API's address.
func (s *Server) serveDebug() error {
	ln, err := net.Listen("tcp", s.cfg.DebugListen)
	if err != nil {
		return fmt.Errorf("debug listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	s.debug = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.debug.Serve(ln) }()
	s.log.Info("profiling served", "url", "http://"+ln.Addr().String()+"/debug/pprof/")
	return nil
}

// producerTimeAhead maps the setting, where 0 means no check, to
// ingest.Config, where 0 means the default and a negative value no check.
func producerTimeAhead(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}
