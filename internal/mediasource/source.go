package mediasource

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/openkvs/openkvs/producer"
)

// Source yields the tracks and frames of one media source, as described in
// the package documentation.
type Source interface {
	// Tracks returns the tracks, the video first. It is fixed once Open
	// returns.
	Tracks() []producer.Track
	// Next returns the next frame in DTS order, io.EOF after the last one.
	// It blocks for a pipe or a camera until a frame arrives or ctx ends.
	Next(ctx context.Context) (producer.Frame, error)
	// Close releases the file or connection. It does not close stdin.
	Close() error
}

// durationer is implemented by sources whose length is known before they
// are read (MP4).
type durationer interface {
	Duration() time.Duration
}

// sourceDuration returns the length of src, 0 if it is not known.
func sourceDuration(src Source) time.Duration {
	if d, ok := src.(durationer); ok {
		return d.Duration()
	}
	return 0
}

// Options tune Open.
type Options struct {
	// FPS is the frame rate that stamps raw Annex B streams, which carry
	// no timestamps; 0 means 25.
	FPS float64
	// Realtime returns the frames of a file or pipe no faster than their
	// timestamps, as a camera would. Cameras are always real time.
	Realtime bool
	// RTSPOverTCP makes a camera send RTP interleaved on the RTSP
	// connection (RFC 2326 section 10.12) instead of trying UDP first.
	RTSPOverTCP bool
	// RTSPTimeout bounds connecting to a camera, each RTSP request, and the
	// wait for packets; 0 means 10 s.
	RTSPTimeout time.Duration
	// Logger receives warnings (skipped tracks, dropped frames); nil
	// discards them.
	Logger *slog.Logger
}

// Open opens the SOURCE argument of `kvsctl put`: "-" reads stdin (whose
// container is sniffed), rtsp:// and rtsps:// URLs connect to a camera, and
// anything else is a file whose container is chosen by its extension or,
// for an unknown one, by its first octets. ctx bounds the opening only.
//
// The Source also has a method Duration() time.Duration: the length of the
// media when the container says it up front (MP4), 0 otherwise.
//
// Errors wrap ErrUnsupported, ErrNoVideo, ErrNoKeyFrame, ErrUnreachable,
// ErrMalformed or, for a missing file, fs.ErrNotExist.
func Open(ctx context.Context, arg string, stdin io.Reader, opts Options) (Source, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var src Source
	var err error
	switch {
	case arg == "-":
		src, err = openStream(stdin, nil, "stdin", opts, log)
	case hasScheme(arg, "rtsp"), hasScheme(arg, "rtsps"):
		src, err = openRTSP(ctx, arg, opts, log)
		if err != nil {
			return nil, err
		}
		// A camera is paced by nature.
		return newNormalised(src, log), nil
	default:
		src, err = openFile(arg, opts, log)
	}
	if err != nil {
		return nil, err
	}
	var out Source = newNormalised(src, log)
	if opts.Realtime {
		out = &paced{Source: out}
	}
	return out, nil
}

func hasScheme(arg, scheme string) bool {
	return len(arg) > len(scheme)+3 && strings.EqualFold(arg[:len(scheme)+3], scheme+"://")
}

// openStream opens a source that can only be read forward (a pipe), by
// sniffing its first octets.
func openStream(r io.Reader, closer io.Closer, name string, opts Options, log *slog.Logger) (Source, error) {
	br, kind, err := sniff(r)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	switch kind {
	case kindMatroska:
		return openMatroska(br, closer, log)
	case kindH264:
		return openAnnexB(br, closer, codecH264, opts.FPS, log)
	case kindH265:
		return openAnnexB(br, closer, codecH265, opts.FPS, log)
	case kindMP4:
		return nil, fmt.Errorf("%s: MP4 needs a seekable file, not a pipe (write Matroska to the pipe, e.g. ffmpeg -f matroska -): %w", name, ErrUnsupported)
	}
	return nil, fmt.Errorf("%s: %w: not MP4/MOV, Matroska/WebM or H.264/H.265 Annex B", name, ErrUnsupported)
}
