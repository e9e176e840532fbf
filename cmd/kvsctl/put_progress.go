package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"

	"github.com/openkvs/openkvs/producer"
)

// putProgress shows an upload on stderr: on a terminal, a progress bar
// (for a file of known length) or a status line, redrawn twice a second;
// otherwise a status line every 10 s. A summary line ends it.
type putProgress struct {
	w      io.Writer
	source string
	live   bool // a camera or pipe: no end is known
	quiet  bool
	tty    bool
	bar    *progressbar.ProgressBar
	// at is the decoding time of the last frame put, for the bar.
	at time.Duration

	mu      sync.Mutex
	s       *producer.Stream
	began   time.Time
	lastErr error
	errors  int
	stop    chan struct{}
	done    sync.WaitGroup
}

func newPutProgress(w io.Writer, source string, live, quiet bool) *putProgress {
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = isatty.IsTerminal(f.Fd())
	}
	return &putProgress{w: w, source: source, live: live, quiet: quiet, tty: tty, stop: make(chan struct{})}
}

// callbacks are the stream callbacks that feed the progress display.
func (p *putProgress) callbacks() producer.Callbacks {
	return producer.Callbacks{
		Error: func(err error) {
			p.mu.Lock()
			p.lastErr = err
			p.errors++
			p.mu.Unlock()
		},
	}
}

// lastError is the last error the stream reported, for the final message.
func (p *putProgress) lastError() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lastErr == nil {
		return "none"
	}
	return p.lastErr.Error()
}

// start begins redrawing the status of s; length is the source's
// duration, 0 when unknown.
func (p *putProgress) start(s *producer.Stream, length time.Duration) {
	p.mu.Lock()
	p.s, p.began = s, time.Now()
	p.mu.Unlock()
	if p.quiet {
		return
	}
	if p.tty && !p.live && length > 0 {
		p.bar = progressbar.NewOptions64(length.Milliseconds(), progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetPredictTime(true), progressbar.OptionSetWidth(30), progressbar.OptionShowDescriptionAtLineEnd(),
			progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionUseANSICodes(true))
	}
	every := 10 * time.Second
	if p.tty {
		every = 500 * time.Millisecond
	}
	p.done.Add(1)
	go func() {
		defer p.done.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.draw(false)
			}
		}
	}()
}

// frame records that the frame at dts was put.
func (p *putProgress) frame(dts time.Duration) {
	p.mu.Lock()
	p.at = max(p.at, dts)
	p.mu.Unlock()
}

// finish stops the redraws and prints the summary.
func (p *putProgress) finish() {
	close(p.stop)
	p.done.Wait()
	if p.s != nil {
		p.draw(true)
	}
}

func (p *putProgress) draw(final bool) {
	m := p.s.Metrics()
	elapsed := time.Since(p.began)
	p.mu.Lock()
	errs, at := p.errors, p.at
	p.mu.Unlock()
	line := fmt.Sprintf("%s sent, %d frames, fragments %d made / %d acked", formatBytes(m.BytesSent), m.FramesPut,
		m.FragmentsPut, m.FragmentsAcked)
	if m.Retransmissions > 0 || errs > 0 {
		line += fmt.Sprintf(", %d resent after %d error(s)", m.Retransmissions, errs)
	}
	if m.FramesDropped > 0 {
		line += fmt.Sprintf(", %d frames dropped", m.FramesDropped)
	}
	if p.live {
		line += fmt.Sprintf(", %.1f fps, buffered %s", m.CurrentFrameRate, m.OverallViewDuration.Round(100*time.Millisecond))
	} else if elapsed > 0 {
		line += fmt.Sprintf(", %s/s", formatBytes(int64(float64(m.BytesSent)/elapsed.Seconds())))
	}
	switch {
	case final:
		if p.bar != nil {
			_ = p.bar.Exit()
		}
		if p.tty && !p.quiet {
			fmt.Fprint(p.w, "\r\033[K")
		}
		fmt.Fprintf(p.w, "put %s: %s in %s\n", p.source, line, elapsed.Round(time.Millisecond))
	case p.bar != nil:
		p.bar.Describe(line)
		_ = p.bar.Set64(at.Milliseconds())
	case p.tty:
		fmt.Fprintf(p.w, "\r\033[K%s", line)
	default:
		fmt.Fprintln(p.w, line)
	}
}

// formatBytes writes n with a binary-prefix-free decimal unit, as the
// throughput figures elsewhere in kvsctl.
func formatBytes(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}
