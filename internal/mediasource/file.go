package mediasource

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// extensionKinds maps file extensions to containers; other extensions are
// sniffed.
var extensionKinds = map[string]containerKind{
	".mp4": kindMP4, ".m4v": kindMP4, ".mov": kindMP4, ".m4a": kindMP4, ".3gp": kindMP4,
	".mkv": kindMatroska, ".mka": kindMatroska, ".webm": kindMatroska, ".mk3d": kindMatroska,
	".h264": kindH264, ".264": kindH264, ".avc": kindH264,
	".h265": kindH265, ".265": kindH265, ".hevc": kindH265,
}

// openFile opens a media file. The Source owns the file and closes it.
func openFile(path string, opts Options, log *slog.Logger) (src Source, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open source: %w", err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
		}
	}()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, fmt.Errorf("open source %s: a directory: %w", path, ErrUnsupported)
	}
	kind, ok := extensionKinds[strings.ToLower(filepath.Ext(path))]
	if !ok {
		head := make([]byte, sniffSize)
		n, err := f.ReadAt(head, 0)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		kind = classify(head[:n])
	}
	switch kind {
	case kindMP4:
		return openMP4(f, log)
	case kindMatroska:
		return openMatroska(f, f, log)
	case kindH264:
		return openAnnexB(f, f, codecH264, opts.FPS, log)
	case kindH265:
		return openAnnexB(f, f, codecH265, opts.FPS, log)
	}
	return nil, fmt.Errorf("%s: %w: not MP4/MOV, Matroska/WebM or H.264/H.265 Annex B", path, ErrUnsupported)
}
