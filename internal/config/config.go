package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is every kvsd setting.
type Config struct {
	Listen       string
	DataDir      string
	Region       string
	AccountID    string
	AdvertiseURL string

	TLSCert       string
	TLSKey        string
	TLSSelfSigned bool

	// Auth is "sigv4" (verify every signature) or "none" (accept any
	// well-formed credentials; development only).
	Auth                string
	RootAccessKeyID     string
	RootSecretAccessKey string

	// MaxStreams is the account stream limit; 0 means the KVS default for
	// the region.
	MaxStreams      int
	TransitionDelay time.Duration
	MaxRequestBody  int64
	ShutdownTimeout time.Duration

	// PutMedia limits; see ingest.Config. Defaults are the KVS quotas.
	MaxFragmentSize           int64
	MaxFragmentDuration       time.Duration
	MaxConnectionDuration     time.Duration
	PutMediaConnectionsPerSec int
	IdleAckInterval           time.Duration
	IdleTimeout               time.Duration
	// MaxProducerTimeAhead is how far a producer timestamp may be ahead of
	// the server clock (ERROR 4007 beyond); 0 turns the check off.
	MaxProducerTimeAhead time.Duration
	// PutMediaBytesPerSec and PutMediaFragmentsPerSec pace each PutMedia
	// session; 0 turns the limit off.
	PutMediaBytesPerSec     int64
	PutMediaFragmentsPerSec float64
	// PlaybackSessionsPerStream caps a stream's unexpired HLS sessions, and
	// separately its DASH sessions.
	PlaybackSessionsPerStream int
	// GetMediaConnections is how many GetMedia readers a stream may have.
	GetMediaConnections int
	// FragmentMetadataPointsPerSec and FragmentMediaPointsPerSec are the
	// per-stream fragment quotas of the read APIs; 0 turns one off.
	FragmentMetadataPointsPerSec float64
	FragmentMediaPointsPerSec    float64
	// MaxMediaBytes caps the media store; the oldest media goes first.
	// 0 means no cap.
	MaxMediaBytes int64
	// PrewarmBuffers is how many bytes of ingest and store buffer memory
	// to map before accepting connections, so that many streams connecting
	// at once (a restart with cameras waiting) do not pay for fresh memory
	// while they start. 0 maps nothing ahead.
	PrewarmBuffers int64
	// BufferMemoryPerStream is how much buffer memory kvsd keeps mapped
	// for each stream in its catalog, in the background and up to a
	// sixteenth of the memory kvsd may use, so that the streams' producers can
	// all connect at once without the first fragments waiting for fresh
	// memory. 0 keeps nothing mapped ahead.
	BufferMemoryPerStream int64

	// DebugListen, when set, serves net/http/pprof on this address, apart
	// from the API so that it is never exposed with it.
	DebugListen string

	LogLevel  string
	LogFormat string

	// ConfigFile is the YAML file the settings were read from, if any.
	ConfigFile string
}

// Auth modes.
const (
	AuthSigV4 = "sigv4"
	AuthNone  = "none"
)

// Defaults returns the settings kvsd runs with when nothing is given.
func Defaults() Config {
	return Config{
		Listen:          "127.0.0.1:4566",
		DataDir:         "./data",
		Region:          "us-east-1",
		AccountID:       "000000000000",
		Auth:            AuthSigV4,
		TransitionDelay: 500 * time.Millisecond,
		MaxRequestBody:  1 << 20,
		ShutdownTimeout: 10 * time.Second,

		MaxFragmentSize:              50_000_000,
		MaxFragmentDuration:          20 * time.Second,
		MaxConnectionDuration:        45 * time.Minute,
		PutMediaConnectionsPerSec:    5,
		IdleAckInterval:              time.Second,
		IdleTimeout:                  30 * time.Second,
		MaxProducerTimeAhead:         15 * time.Minute,
		PutMediaBytesPerSec:          12_500_000,
		GetMediaConnections:          3,
		PlaybackSessionsPerStream:    100,
		FragmentMetadataPointsPerSec: 10_000,
		FragmentMediaPointsPerSec:    500,
		PutMediaFragmentsPerSec:      5,
		// A 2 Mbit/s stream with 1 s fragments holds a 256 KiB fragment
		// buffer, its Matroska reader's buffer and its share of the
		// store's batches: 500 of them used 246 MiB of the pool
		// (docs/benchmarks.md, "Eighth session").
		BufferMemoryPerStream: 512 << 10,

		LogLevel:  "info",
		LogFormat: "text",
	}
}

func (c *Config) flagSet(output io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("kvsd", flag.ContinueOnError)
	fs.SetOutput(output)
	fs.StringVar(&c.ConfigFile, "config", c.ConfigFile, "YAML config file (keys are these flag names)")
	fs.StringVar(&c.Listen, "listen", c.Listen, "address to serve on, host:port")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "directory for the catalog, media and credentials")
	fs.StringVar(&c.Region, "region", c.Region, "AWS region that requests must be signed for")
	fs.StringVar(&c.AccountID, "account-id", c.AccountID, "12-digit account ID used in ARNs")
	fs.StringVar(&c.AdvertiseURL, "advertise-url", c.AdvertiseURL, "URL returned by GetDataEndpoint (default: derived from the listen address)")
	fs.StringVar(&c.TLSCert, "tls-cert", c.TLSCert, "PEM certificate file; serve HTTPS")
	fs.StringVar(&c.TLSKey, "tls-key", c.TLSKey, "PEM private key file for -tls-cert")
	fs.BoolVar(&c.TLSSelfSigned, "tls-self-signed", c.TLSSelfSigned, "serve HTTPS with a self-signed certificate generated under the data dir")
	fs.StringVar(&c.Auth, "auth", c.Auth, "request authentication: sigv4, or none to accept any well-formed credentials (development only)")
	fs.StringVar(&c.RootAccessKeyID, "root-access-key-id", c.RootAccessKeyID, "root access key ID (default: generated once and stored in the data dir)")
	fs.StringVar(&c.RootSecretAccessKey, "root-secret-access-key", c.RootSecretAccessKey, "root secret access key")
	fs.IntVar(&c.MaxStreams, "max-streams", c.MaxStreams, "account stream limit (default: 10000 in us-east-1 and us-west-2, else 5000)")
	fs.DurationVar(&c.TransitionDelay, "transition-delay", c.TransitionDelay, "how long streams stay CREATING, UPDATING or DELETING")
	fs.Int64Var(&c.MaxRequestBody, "max-request-body", c.MaxRequestBody, "largest JSON request body in bytes")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "how long to wait for requests to finish on shutdown")
	fs.Int64Var(&c.MaxFragmentSize, "max-fragment-size", c.MaxFragmentSize, "largest PutMedia fragment in bytes (ERROR 4001 above)")
	fs.DurationVar(&c.MaxFragmentDuration, "max-fragment-duration", c.MaxFragmentDuration, "longest PutMedia fragment (ERROR 4002 above)")
	fs.DurationVar(&c.MaxConnectionDuration, "max-connection-duration", c.MaxConnectionDuration, "longest PutMedia connection (ERROR 4003 after)")
	fs.IntVar(&c.PutMediaConnectionsPerSec, "putmedia-connections-per-second", c.PutMediaConnectionsPerSec, "new PutMedia connections allowed per stream per second")
	fs.DurationVar(&c.IdleAckInterval, "idle-ack-interval", c.IdleAckInterval, "how often PutMedia sends IDLE while no data arrives")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", c.IdleTimeout, "close a PutMedia connection after this long without data")
	fs.DurationVar(&c.MaxProducerTimeAhead, "max-producer-time-ahead", c.MaxProducerTimeAhead, "how far a producer timestamp may be ahead of the server clock (ERROR 4007 beyond), 0 for no check")
	fs.Int64Var(&c.PutMediaBytesPerSec, "putmedia-bytes-per-second", c.PutMediaBytesPerSec, "PutMedia read rate per stream, 0 for no limit")
	fs.Float64Var(&c.PutMediaFragmentsPerSec, "putmedia-fragments-per-second", c.PutMediaFragmentsPerSec, "PutMedia fragments per second per stream, 0 for no limit")
	fs.IntVar(&c.GetMediaConnections, "getmedia-connections-per-stream", c.GetMediaConnections, "concurrent GetMedia readers allowed per stream")
	fs.IntVar(&c.PlaybackSessionsPerStream, "playback-sessions-per-stream", c.PlaybackSessionsPerStream, "unexpired HLS (and, separately, DASH) sessions allowed per stream")
	fs.Float64Var(&c.FragmentMetadataPointsPerSec, "fragment-metadata-points-per-second", c.FragmentMetadataPointsPerSec, "per-stream fragment metadata quota (ListFragments costs MaxResults), 0 for none")
	fs.Float64Var(&c.FragmentMediaPointsPerSec, "fragment-media-points-per-second", c.FragmentMediaPointsPerSec, "per-stream fragment media quota (GetMediaForFragmentList costs one per fragment), 0 for none")
	fs.Int64Var(&c.MaxMediaBytes, "max-media-bytes", c.MaxMediaBytes, "cap on stored media in bytes, oldest deleted first; 0 for no cap")
	fs.Int64Var(&c.PrewarmBuffers, "prewarm-buffers", c.PrewarmBuffers, "bytes of media buffer memory to map before accepting connections, on top of -buffer-memory-per-stream; 0 for none")
	fs.Int64Var(&c.BufferMemoryPerStream, "buffer-memory-per-stream", c.BufferMemoryPerStream, "bytes of media buffer memory kept mapped per stream in the catalog, up to 1/16 of the machine's (or container's) memory; 0 for none")
	fs.StringVar(&c.DebugListen, "debug-listen", c.DebugListen, "serve Go profiling (net/http/pprof) on this host:port; empty for off")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "text or json")
	return fs
}

// EnvName returns the environment variable for a flag name.
func EnvName(flagName string) string {
	return "KVSD_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// Load builds the configuration from args, the environment (lookupEnv) and
// the YAML file named by -config or KVSD_CONFIG, then validates it. It
// returns flag.ErrHelp when -h was given (usage has been written to output).
func Load(args []string, lookupEnv func(string) (string, bool), output io.Writer) (Config, error) {
	cfg := Defaults()
	fs := cfg.flagSet(output)
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	fromFlags := map[string]string{}
	fs.Visit(func(f *flag.Flag) { fromFlags[f.Name] = f.Value.String() })

	// Start again from the defaults and apply the sources in order.
	cfg = Defaults()
	fs = cfg.flagSet(output)
	file := fromFlags["config"]
	if file == "" {
		file, _ = lookupEnv(EnvName("config"))
	}
	if file != "" {
		if err := applyFile(fs, file); err != nil {
			return Config{}, err
		}
		cfg.ConfigFile = file
	}
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if v, ok := lookupEnv(EnvName(f.Name)); ok && err == nil && f.Name != "config" {
			if serr := fs.Set(f.Name, v); serr != nil {
				err = fmt.Errorf("environment %s: %w", EnvName(f.Name), serr)
			}
		}
	})
	if err != nil {
		return Config{}, err
	}
	for name, v := range fromFlags {
		if err := fs.Set(name, v); err != nil {
			return Config{}, fmt.Errorf("flag -%s: %w", name, err)
		}
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

func applyFile(fs *flag.FlagSet, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read config file: %w", err)
	}
	var values map[string]any
	if err := yaml.Unmarshal(b, &values); err != nil {
		return fmt.Errorf("parse config file %s: %w", path, err)
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "config" || fs.Lookup(k) == nil {
			return fmt.Errorf("config file %s: unknown setting %q", path, k)
		}
		v := values[k]
		if _, nested := v.(map[string]any); nested || v == nil {
			return fmt.Errorf("config file %s: setting %q needs a plain value", path, k)
		}
		if err := fs.Set(k, fmt.Sprint(v)); err != nil {
			return fmt.Errorf("config file %s: setting %q: %w", path, k, err)
		}
	}
	return nil
}

var (
	regionPattern  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	accountPattern = regexp.MustCompile(`^[0-9]{12}$`)
)

// Validate checks every setting and reports all problems at once.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		bad("listen %q: want host:port", c.Listen)
	}
	if c.DataDir == "" {
		bad("data-dir must not be empty")
	}
	if !regionPattern.MatchString(c.Region) {
		bad("region %q: want a region name such as us-east-1", c.Region)
	}
	if !accountPattern.MatchString(c.AccountID) {
		bad("account-id %q: want 12 digits", c.AccountID)
	}
	if c.AdvertiseURL != "" {
		u, err := url.Parse(c.AdvertiseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Trim(u.Path, "/") != "" {
			bad("advertise-url %q: want http(s)://host[:port] with no path", c.AdvertiseURL)
		}
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		bad("tls-cert and tls-key must be given together")
	}
	if c.TLSSelfSigned && c.TLSCert != "" {
		bad("tls-self-signed and tls-cert exclude each other")
	}
	if c.Auth != AuthSigV4 && c.Auth != AuthNone {
		bad("auth %q: want %s or %s", c.Auth, AuthSigV4, AuthNone)
	}
	if (c.RootAccessKeyID == "") != (c.RootSecretAccessKey == "") {
		bad("root-access-key-id and root-secret-access-key must be given together")
	}
	if c.MaxStreams < 0 {
		bad("max-streams %d: must not be negative", c.MaxStreams)
	}
	if c.TransitionDelay < 0 {
		bad("transition-delay %s: must not be negative", c.TransitionDelay)
	}
	if c.MaxRequestBody < 1024 {
		bad("max-request-body %d: must be at least 1024", c.MaxRequestBody)
	}
	if c.ShutdownTimeout <= 0 {
		bad("shutdown-timeout %s: must be positive", c.ShutdownTimeout)
	}
	if c.MaxFragmentSize < 1024 {
		bad("max-fragment-size %d: must be at least 1024", c.MaxFragmentSize)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"max-fragment-duration", c.MaxFragmentDuration}, {"max-connection-duration", c.MaxConnectionDuration},
		{"idle-ack-interval", c.IdleAckInterval}, {"idle-timeout", c.IdleTimeout}} {
		if d.v <= 0 {
			bad("%s %s: must be positive", d.name, d.v)
		}
	}
	if c.PlaybackSessionsPerStream < 1 {
		bad("playback-sessions-per-stream %d: must be at least 1", c.PlaybackSessionsPerStream)
	}
	if c.MaxProducerTimeAhead < 0 {
		bad("max-producer-time-ahead %s: must not be negative (0 turns the check off)", c.MaxProducerTimeAhead)
	}
	if c.PutMediaBytesPerSec < 0 || c.PutMediaFragmentsPerSec < 0 || c.MaxMediaBytes < 0 || c.PrewarmBuffers < 0 || c.BufferMemoryPerStream < 0 {
		bad("putmedia-bytes-per-second, putmedia-fragments-per-second, max-media-bytes, prewarm-buffers and buffer-memory-per-stream must not be negative")
	}
	if c.FragmentMetadataPointsPerSec < 0 || c.FragmentMediaPointsPerSec < 0 {
		bad("fragment quotas must not be negative")
	}
	if c.GetMediaConnections < 1 {
		bad("getmedia-connections-per-stream %d: must be at least 1", c.GetMediaConnections)
	}
	if c.PutMediaConnectionsPerSec < 1 {
		bad("putmedia-connections-per-second %d: must be at least 1", c.PutMediaConnectionsPerSec)
	}
	if _, err := c.SlogLevel(); err != nil {
		bad("log-level %q: want debug, info, warn or error", c.LogLevel)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("log-format %q: want text or json", c.LogFormat)
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid configuration: %w", errors.Join(errs...))
	}
	return nil
}

// SlogLevel returns LogLevel as a slog.Level.
func (c *Config) SlogLevel() (slog.Level, error) {
	var l slog.Level
	err := l.UnmarshalText([]byte(c.LogLevel))
	return l, err
}

// StreamLimit returns the account stream limit in force: MaxStreams, or the
// KVS default of 10,000 in us-east-1 and us-west-2 and 5,000 elsewhere.
func (c *Config) StreamLimit() int {
	switch {
	case c.MaxStreams > 0:
		return c.MaxStreams
	case c.Region == "us-east-1" || c.Region == "us-west-2":
		return 10000
	}
	return 5000
}

// TLS reports whether kvsd serves HTTPS.
func (c *Config) TLS() bool { return c.TLSCert != "" || c.TLSSelfSigned }
