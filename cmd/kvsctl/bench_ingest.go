package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo/types"
	"github.com/spf13/cobra"

	"github.com/openkvs/openkvs/producer"
)

// maxFragmentDuration is the longest fragment KVS accepts (and a SimpleBlock
// timestamp, 16 bits of milliseconds, could hold more).
const maxFragmentDuration = 20 * time.Second

// benchIngestOptions are the flags of "kvsctl bench ingest".
type benchIngestOptions struct {
	streams        int
	bitrate        bitrateValue
	fragment       durationValue
	duration       durationValue
	fps            int
	unthrottled    bool
	streamPrefix   string
	retentionHours int
	source         string
	json           bool
	baselines      bool
	ackTimeout     durationValue
	parallel       int
	warmup         durationValue
	timeline       string

	// Baseline sizes; hidden flags, so that tests stay short.
	tcpBaselineTime  durationValue
	diskBaselineSize int64
}

func defaultBenchIngestOptions() *benchIngestOptions {
	return &benchIngestOptions{
		streams:          1,
		bitrate:          2_000_000,
		fragment:         durationValue(time.Second),
		duration:         durationValue(10 * time.Second),
		fps:              25,
		streamPrefix:     "bench-",
		retentionHours:   1,
		baselines:        true,
		ackTimeout:       durationValue(30 * time.Second),
		parallel:         32,
		warmup:           durationValue(5 * time.Second),
		tcpBaselineTime:  durationValue(1500 * time.Millisecond),
		diskBaselineSize: 64 << 20,
	}
}

func newBenchIngestCmd(g *globalOptions, stdout, stderr io.Writer) *cobra.Command {
	o := defaultBenchIngestOptions()
	cmd := &cobra.Command{
		Use:   "ingest",
		Short: "Upload to N streams with the producer library and report ack latencies and throughput",
		Long: `Create N streams and upload H.264 video to each with the producer library (one
Producer, one Stream and PutMedia connection per stream, one Cluster per fragment
ended by an AWS_KINESISVIDEO_END_OF_FRAGMENT tag), then report throughput, lost
and duplicated fragments and the latency of the BUFFERING (from the fragment's
first octet on the wire), RECEIVED and PERSISTED (from its last octet) acks, and
of PERSISTED from the PutFrame call of the fragment's last frame. The library
opens a stream's connection when its first fragment starts, so first fragments
also wait for the connection and the server's session set-up; PERSISTED is
reported without them too.

Video comes from ffmpeg's test pattern (ffmpeg must be on PATH) or from --source.
Frames are padded with filler NAL units (or cut) to hit --bitrate exactly. By
default frames are put in real time and the streams start spread over one
fragment duration, as independent cameras would; --unthrottled puts them as fast
as the connection takes them. MB are 10^6 octets, Mbit 10^6 bits. When the
endpoint is a server on this machine (Linux), its CPU time is reported too.

Before the run, --baselines measures raw loopback TCP throughput and fsync'd
disk writes (in $TMPDIR) on this machine.`,
		Example: `  kvsctl --endpoint-url http://127.0.0.1:4566 bench ingest --streams 100 --duration 20s
  kvsctl --endpoint-url http://127.0.0.1:4566 bench ingest --unthrottled --bitrate 100Mbps --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			return runBenchIngest(cmd.Context(), g, o, stdout, stderr)
		},
	}
	o.addFlags(cmd)
	return cmd
}

// addFlags defines the command's flags, bound to o.
func (o *benchIngestOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.IntVar(&o.streams, "streams", o.streams, "number of streams, each a producer stream with its own PutMedia connection")
	f.Var(&o.bitrate, "bitrate", "video bitrate per stream (e.g. 2Mbps, 500kbps)")
	f.Var(&o.fragment, "fragment", "fragment duration: one key frame and one Cluster per fragment")
	f.Var(&o.duration, "duration", "media duration each stream sends")
	f.IntVar(&o.fps, "fps", o.fps, "frames per second")
	f.BoolVar(&o.unthrottled, "unthrottled", false, "send as fast as possible instead of in real time")
	f.StringVar(&o.streamPrefix, "stream-prefix", o.streamPrefix, "stream names are <prefix>0, <prefix>1, ...")
	f.IntVar(&o.retentionHours, "retention-hours", o.retentionHours, "DataRetentionInHours of the streams created")
	f.StringVar(&o.source, "source", "", "take the H.264 video of this file (MP4/MOV, MKV/WebM or Annex-B .h264, as kvsctl put reads them) instead of ffmpeg")
	f.BoolVar(&o.json, "json", false, "print the result as JSON")
	f.BoolVar(&o.baselines, "baselines", o.baselines, "measure raw loopback TCP and disk fsync throughput first")
	f.Var(&o.ackTimeout, "ack-timeout", "how long to wait for the remaining acks after the last octet")
	f.IntVar(&o.parallel, "parallel", o.parallel, "control-plane calls (stream creation and the library's stream set-up) in flight at once")
	f.Var(&o.warmup, "warmup", "also report PERSISTED for the fragments whose last octet went out this long after the first octet of the run (steady state); 0 for no such row")
	f.StringVar(&o.timeline, "timeline", "", "also write every fragment's ack times to this CSV file, to see when the slow acks came")
	f.Var(&o.tcpBaselineTime, "baseline-tcp-time", "how long the TCP baseline sends")
	f.Int64Var(&o.diskBaselineSize, "baseline-disk-bytes", o.diskBaselineSize, "how much the disk baseline writes")
	_ = f.MarkHidden("baseline-tcp-time")
	_ = f.MarkHidden("baseline-disk-bytes")
}

// streamNameRE is the KVS StreamName pattern.
var streamNameRE = regexp.MustCompile(`^[a-zA-Z0-9_.-]+$`)

// validate checks the flags and says which one is wrong.
func (o *benchIngestOptions) validate() error {
	frag, dur := time.Duration(o.fragment), time.Duration(o.duration)
	switch {
	case o.streams < 1 || o.streams > 10000:
		return fmt.Errorf("--streams %d: must be between 1 and 10000", o.streams)
	case o.fps < 1 || o.fps > 240:
		return fmt.Errorf("--fps %d: must be between 1 and 240", o.fps)
	case frag <= 0 || frag > maxFragmentDuration:
		return fmt.Errorf("--fragment %s: must be more than 0 and at most %s (the KVS fragment limit)", frag, maxFragmentDuration)
	case dur <= 0:
		return fmt.Errorf("--duration %s: must be positive", dur)
	case o.framesPerFragment() < 1:
		return fmt.Errorf("--fragment %s is shorter than one frame at %d fps", frag, o.fps)
	case o.totalFrames() < 1:
		return fmt.Errorf("--duration %s is shorter than one frame at %d fps", dur, o.fps)
	case o.retentionHours < 1 || o.retentionHours > 87600:
		return fmt.Errorf("--retention-hours %d: must be between 1 and 87600 (a stream without retention never sends PERSISTED)", o.retentionHours)
	case time.Duration(o.ackTimeout) <= 0:
		return fmt.Errorf("--ack-timeout %s: must be positive", time.Duration(o.ackTimeout))
	case time.Duration(o.warmup) < 0:
		return fmt.Errorf("--warmup %s: must not be negative", time.Duration(o.warmup))
	case o.parallel < 1:
		return fmt.Errorf("--parallel %d: must be at least 1", o.parallel)
	case o.streamPrefix == "" || !streamNameRE.MatchString(o.streamPrefix):
		return fmt.Errorf("--stream-prefix %q: may only hold a-z, A-Z, 0-9, '_', '.' and '-'", o.streamPrefix)
	case len(o.streamPrefix)+len(strconv.Itoa(o.streams-1)) > 256:
		return fmt.Errorf("--stream-prefix is too long: stream names are at most 256 characters")
	case time.Duration(o.tcpBaselineTime) <= 0 || o.diskBaselineSize < 1<<20:
		return errors.New("baseline sizes must be positive (and at least 1 MiB of disk writes)")
	}
	if int64(o.bitrate)*int64(frag/time.Millisecond)/8/1000 > 50_000_000 {
		return fmt.Errorf("--bitrate %s with --fragment %s makes fragments over 50 MB, the KVS fragment limit", o.bitrate.String(), frag)
	}
	return nil
}

// framesPerFragment is the GOP length: fps times the fragment duration.
func (o *benchIngestOptions) framesPerFragment() int {
	return int(math.Round(float64(o.fps) * time.Duration(o.fragment).Seconds()))
}

// totalFrames is how many frames each stream sends.
func (o *benchIngestOptions) totalFrames() int {
	return int(math.Round(float64(o.fps) * time.Duration(o.duration).Seconds()))
}

// streamNames returns the benchmark's stream names.
func (o *benchIngestOptions) streamNames() []string {
	names := make([]string, o.streams)
	for i := range names {
		names[i] = o.streamPrefix + strconv.Itoa(i)
	}
	return names
}

// progress prints one status line to stderr.
type progress struct{ w io.Writer }

func (p progress) printf(format string, args ...any) {
	fmt.Fprintf(p.w, "kvsctl: "+format+"\n", args...)
}

// runBenchIngest runs the benchmark and prints its report.
func runBenchIngest(ctx context.Context, g *globalOptions, o *benchIngestOptions, stdout, stderr io.Writer) error {
	settings, err := g.resolveAWS(ctx)
	if err != nil {
		return err
	}
	rq := newRequester(settings, g.noVerifySSL)
	defer rq.close()
	say := progress{stderr}

	if o.source == "" {
		// Fail before touching the endpoint when the media cannot be made.
		if _, err := exec.LookPath("ffmpeg"); err != nil {
			return errNoFFmpeg
		}
	}

	names := o.streamNames()
	say.printf("creating %d stream(s) at %s", len(names), settings.Endpoint)
	if err := createStreams(ctx, rq, names, o.retentionHours, o.parallel); err != nil {
		return err
	}
	dataEndpoint, err := rq.getDataEndpoint(ctx, names[0], "PUT_MEDIA")
	if err != nil {
		return err
	}

	plan, src, err := o.prepareMedia(ctx, say)
	if err != nil {
		return err
	}

	var base *baselineReport
	if o.baselines {
		say.printf("measuring baselines (loopback TCP for %s, %d MiB of disk writes in %s)",
			time.Duration(o.tcpBaselineTime), o.diskBaselineSize>>20, os.TempDir())
		if base, err = runBaselines(ctx, time.Duration(o.tcpBaselineTime), o.diskBaselineSize); err != nil {
			return err
		}
	}

	mode := "real time"
	if o.unthrottled {
		mode = "unthrottled"
	}
	streams := make([]*streamRun, len(names))
	tap := &tapTransport{base: benchTransport(g.noVerifySSL), streams: map[string]*streamRun{}}
	for i, name := range names {
		streams[i] = newStreamRun(name)
		tap.streams[name] = streams[i]
	}
	defer tap.CloseIdleConnections()
	p, err := producer.New(settings.Config, producer.Options{
		Endpoint:   settings.Endpoint,
		HTTPClient: &http.Client{Transport: tap},
		Logger:     slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError})),
	})
	if err != nil {
		return err
	}
	server := findServer(settings.Endpoint)
	say.printf("opening %d producer stream(s) to %s", len(names), dataEndpoint)
	res, err := runIngest(ctx, p, streams, src, plan, o, say, mode, server)
	if err != nil {
		return settings.explain(err, "", settings.Endpoint)
	}
	rep := buildReport(o, settings.Endpoint, dataEndpoint, src, plan, res, base, server)
	if o.timeline != "" {
		if err := writeTimeline(o.timeline, res); err != nil {
			return err
		}
	}
	if o.json {
		err = rep.writeJSON(stdout)
	} else {
		err = rep.writeText(stdout)
	}
	if err != nil {
		return fmt.Errorf("print report: %w", err)
	}
	if res.interrupted {
		return errors.New("interrupted: the report covers what was sent until then")
	}
	return nil
}

// prepareMedia loads or generates the H.264 frames and lays them out.
func (o *benchIngestOptions) prepareMedia(ctx context.Context, say progress) (*mediaPlan, *mediaSource, error) {
	gop := o.framesPerFragment()
	var (
		src *mediaSource
		err error
	)
	if o.source != "" {
		// Enough frames for the whole run plus a GOP; loops cover the rest.
		src, err = loadSource(ctx, o.source, o.totalFrames()+2*gop)
	} else {
		secs := max(4, int(math.Ceil(time.Duration(o.fragment).Seconds()*2)))
		say.printf("encoding %d s of H.264 with ffmpeg (GOP %d, %s)", secs, gop, o.bitrate.String())
		src, err = generateSource(ctx, o.fps, gop, secs, int64(o.bitrate))
	}
	if err != nil {
		return nil, nil, err
	}
	plan, err := newMediaPlan(src, o.fps, gop, o.totalFrames(), int64(o.bitrate))
	if err != nil {
		return nil, nil, err
	}
	return plan, src, nil
}

// benchTransport is kvsctl's HTTP/1.1 transport tuned for many long
// PutMedia uploads: one connection per request (a PutMedia connection is
// never reused) and larger buffers than the control plane needs.
func benchTransport(insecure bool) *http.Transport {
	tr := newTransport(insecure)
	tr.DisableKeepAlives = true
	tr.WriteBufferSize = 64 << 10
	tr.ReadBufferSize = 16 << 10
	return tr
}

// createStreams creates the streams (ResourceInUseException is fine, but an
// existing stream must keep media) and waits until they are ACTIVE.
func createStreams(ctx context.Context, rq *requester, names []string, retentionHours, parallel int) error {
	err := forEach(ctx, names, parallel, func(ctx context.Context, name string) error {
		_, err := rq.createStream(ctx, name, "video/h264", retentionHours)
		if err == nil || !isAPIError(err, "ResourceInUseException") {
			return err
		}
		info, err := rq.describe(ctx, name)
		if err != nil {
			return err
		}
		if aws.ToInt32(info.DataRetentionInHours) == 0 {
			return fmt.Errorf("stream %s exists with DataRetentionInHours 0, so it never sends PERSISTED: delete it or use another --stream-prefix", name)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// KVS accepts PutMedia only on ACTIVE streams (kvsd also takes CREATING).
	deadline := time.Now().Add(2 * time.Minute)
	pending := names
	for len(pending) > 0 {
		var mu sync.Mutex
		var still []string
		err := forEach(ctx, pending, parallel, func(ctx context.Context, name string) error {
			info, err := rq.describe(ctx, name)
			if err != nil {
				return err
			}
			switch info.Status {
			case types.StatusActive:
			case types.StatusCreating, types.StatusUpdating:
				mu.Lock()
				still = append(still, name)
				mu.Unlock()
			default:
				return fmt.Errorf("stream %s is %s", name, info.Status)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if pending = still; len(pending) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d stream(s) still not ACTIVE after 2 minutes (e.g. %s)", len(pending), pending[0])
		}
		select {
		case <-time.After(250 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// forEach runs fn for every item, at most parallel at once, and returns the
// first error; after an error no new item starts.
func forEach[T any](ctx context.Context, items []T, parallel int, fn func(context.Context, T) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	sem := make(chan struct{}, parallel)
loop:
	for _, it := range items {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			break loop
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := fn(ctx, it); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
					cancel()
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return firstErr
}
