package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/openkvs/openkvs/internal/mediasource"
	"github.com/openkvs/openkvs/producer"
)

// putOptions are the flags of "kvsctl put".
type putOptions struct {
	realtime      bool
	fps           float64
	retention     string
	fragment      durationValue
	forceFragment bool
	rtspTCP       bool
	rtspTimeout   durationValue
	tags          []string
	closeTimeout  durationValue
	quiet         bool
}

// newPutCmd is "kvsctl put STREAM SOURCE": upload a file, a pipe or a
// camera with the producer library.
func newPutCmd(g *globalOptions, stderr io.Writer) *cobra.Command {
	o := &putOptions{fragment: durationValue(producer.DefaultFragmentDuration), closeTimeout: durationValue(2 * time.Minute)}
	cmd := &cobra.Command{
		Use:   "put STREAM SOURCE",
		Short: "Upload an MP4, MKV or raw H.264/H.265 file, stdin (-) or an rtsp:// camera",
		Long: "put uploads media with PutMedia through the producer library, creating the stream when it\n" +
			"does not exist. SOURCE is a file (MP4/MOV, MKV/WebM, raw .h264/.h265 Annex B), - for standard\n" +
			"input (e.g. ffmpeg ... -f matroska -), or an rtsp:// / rtsps:// camera URL.\n\n" +
			"Files upload as fast as the service acknowledges them unless --realtime is given; their\n" +
			"timestamps are laid out so that the last frame ends now. Cameras and pipes run in real time.\n" +
			"put exits once every fragment is acknowledged (PERSISTED; RECEIVED with --retention 0).",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPut(cmd.Context(), g, o, args[0], args[1], cmd.InOrStdin(), stderr)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.realtime, "realtime", false, "send a file no faster than it plays")
	f.Float64Var(&o.fps, "fps", 25, "frame rate of a raw Annex B source, which carries no timestamps")
	f.StringVar(&o.retention, "retention", "24", "retention of a stream put creates: whole hours (24), 48h or 7d; 0 keeps none")
	f.Var(&o.fragment, "fragment-duration", "fragment duration when the source's key frames come more often")
	f.BoolVar(&o.forceFragment, "force-fragment", false,
		"cut fragments at non-key frames when the source's GOP is longer than the 20 s fragment maximum (those fragments cannot be played on their own)")
	f.BoolVar(&o.rtspTCP, "rtsp-tcp", false, "receive a camera's RTP over the RTSP connection instead of UDP")
	f.Var(&o.rtspTimeout, "rtsp-timeout", "how long to wait for a camera to answer or send a frame (default 10s)")
	f.StringArrayVar(&o.tags, "tag", nil, "KEY=VALUE tag for the stream (repeatable)")
	f.Var(&o.closeTimeout, "close-timeout", "how long to wait for the last acknowledgements at the end")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "print only the summary")
	return cmd
}

func runPut(ctx context.Context, g *globalOptions, o *putOptions, stream, source string, stdin io.Reader, stderr io.Writer) error {
	hours, err := parseRetention(o.retention)
	if err != nil {
		return err
	}
	tags, err := parseTags(o.tags)
	if err != nil {
		return err
	}
	if o.fps <= 0 || o.fps > 1000 {
		return fmt.Errorf("--fps %g: want a frame rate between 0 and 1000", o.fps)
	}
	settings, err := g.resolveAWS(ctx)
	if err != nil {
		return err
	}
	camera := isCamera(source)
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	src, err := mediasource.Open(ctx, source, stdin, mediasource.Options{
		FPS: o.fps, Realtime: o.realtime, RTSPOverTCP: o.rtspTCP, RTSPTimeout: time.Duration(o.rtspTimeout), Logger: log,
	})
	if err != nil {
		return explainSource(source, err)
	}
	defer src.Close()
	tracks := src.Tracks()
	if err := checkTracks(source, tracks); err != nil {
		return err
	}

	p, err := producer.New(settings.Config, producer.Options{
		Endpoint:   settings.Endpoint,
		HTTPClient: &http.Client{Transport: newTransport(g.noVerifySSL)},
		Logger:     log,
	})
	if err != nil {
		return err
	}
	defer p.Close(context.WithoutCancel(ctx))

	progress := newPutProgress(stderr, source, camera || source == "-", o.quiet)
	def := producer.StreamDefinition{
		Name:             stream,
		Retention:        time.Duration(hours) * time.Hour,
		NoRetention:      hours == 0,
		ContentType:      contentType(tracks),
		Tags:             tags,
		Tracks:           tracks,
		FragmentDuration: time.Duration(o.fragment),
		ForceFragment:    o.forceFragment,
		Origin:           origin(src, o.realtime || camera || source == "-"),
		// mediasource hands over AVCC frames and decoder configuration
		// records already (see its package documentation).
		NALAdaptation: producer.NALAdaptNone,
		Callbacks:     progress.callbacks(),
	}
	s, err := p.NewStream(ctx, def)
	if err != nil {
		return settings.explain(err, stream, settings.Endpoint)
	}
	progress.start(s, sourceLength(src))
	sendErr := pump(ctx, src, s, source, progress)
	closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Duration(o.closeTimeout))
	defer cancel()
	closeErr := s.Close(closeCtx)
	progress.finish()
	if sendErr != nil {
		return sendErr
	}
	if closeErr != nil {
		var nf *producer.NotFlushedError
		if errors.As(closeErr, &nf) {
			return fmt.Errorf("put %s: %d fragment(s) were not acknowledged within --close-timeout %s; the last error: %s",
				stream, len(nf.Undelivered), time.Duration(o.closeTimeout), progress.lastError())
		}
		return settings.explain(closeErr, stream, settings.Endpoint)
	}
	return nil
}

// pump moves frames from the source to the stream until the source ends.
// A frame the library refuses ends the upload, except for a full buffer,
// where dropping (and counting) frames is the documented way to keep a
// camera going.
func pump(ctx context.Context, src mediasource.Source, s *producer.Stream, source string, progress *putProgress) error {
	for {
		f, err := src.Next(ctx)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil // interrupted: Close flushes what was read
			}
			return explainSource(source, err)
		}
		progress.frame(f.DTS)
		switch err := s.PutFrame(ctx, f); {
		case err == nil, errors.Is(err, producer.ErrStorageFull):
		case errors.Is(err, producer.ErrInvalidCodecData):
			return fmt.Errorf("%s: the video's codec private data is missing or broken: no SPS/PPS in the container and none before "+
				"the first key frame (%v). Remux or re-encode it so that the parameter sets are there, e.g. ffmpeg -i IN -c copy OUT.mp4, "+
				"or for a camera enable SPS/PPS with each key frame", source, err)
		case errors.Is(err, producer.ErrFragmentTooLong):
			return fmt.Errorf("%s: the source has no key frame for more than 20 s, the longest fragment KVS accepts. "+
				"Re-encode it with a key frame every 1-2 s (for example ffmpeg -i IN -c:v libx264 -g 50 -c:a copy OUT.mp4), "+
				"or pass --force-fragment to cut fragments at other frames (players cannot start at those)", source)
		case ctx.Err() != nil:
			return nil
		default:
			return fmt.Errorf("%s: %w", source, err)
		}
	}
}

// checkTracks refuses sources the service could store but no player could
// decode: audio without its configuration.
func checkTracks(source string, tracks []producer.Track) error {
	for _, t := range tracks {
		if t.Type == producer.TrackAudio && len(t.CodecPrivate) == 0 && t.CodecID == producer.CodecAAC {
			return fmt.Errorf("%s: the AAC track %d has no codec private data (AudioSpecificConfig), so players could not decode it; "+
				"remux the file with ffmpeg -i IN -c copy OUT.mp4", source, t.ID)
		}
	}
	return nil
}

// explainSource turns a media source error into one line.
func explainSource(source string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: no such file", source)
	case errors.Is(err, mediasource.ErrNoKeyFrame):
		return fmt.Errorf("%s: the video has no key frame (IDR), so nothing in it can be decoded: re-encode it, e.g. ffmpeg -i IN -c:v libx264 -g 50 OUT.mp4", source)
	case errors.Is(err, mediasource.ErrUnreachable):
		return fmt.Errorf("%s: %w (check the URL, the credentials in it and that the camera is on; --rtsp-tcp helps behind NAT)", source, err)
	}
	return fmt.Errorf("%s: %w", source, err)
}

func isCamera(source string) bool {
	s := strings.ToLower(source)
	return strings.HasPrefix(s, "rtsp://") || strings.HasPrefix(s, "rtsps://")
}

// contentType is the MediaType of a stream put creates, from its codecs.
func contentType(tracks []producer.Track) string {
	var types []string
	for _, t := range tracks {
		switch t.CodecID {
		case producer.CodecH264:
			types = append(types, "video/h264")
		case producer.CodecH265:
			types = append(types, "video/h265")
		case producer.CodecAAC:
			types = append(types, "audio/aac")
		case producer.CodecOpus:
			types = append(types, "audio/opus")
		}
	}
	return strings.Join(types, ",")
}

// durationSource is a source that knows its length before it is read.
type durationSource interface {
	Duration() time.Duration
}

// origin places frame time 0 on the wall clock. A file sent faster than it
// plays would otherwise get producer timestamps in the future, which KVS
// refuses (ErrorId 4007); when its length is known, it is laid out to end
// now. Real-time sources start now.
func origin(src mediasource.Source, realtime bool) time.Time {
	now := time.Now()
	if !realtime {
		return now.Add(-sourceLength(src))
	}
	return now
}

// sourceLength is the source's duration, 0 when it is not known.
func sourceLength(src mediasource.Source) time.Duration {
	if d, ok := src.(durationSource); ok {
		return d.Duration()
	}
	return 0
}
