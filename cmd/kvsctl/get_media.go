package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/openkvs/openkvs/parser"
)

// newGetMediaCmd is "kvsctl get-media STREAM -o FILE": GetMedia through the
// public parser, merged into one playable Matroska file.
func newGetMediaCmd(g *globalOptions, stdout, stderr io.Writer) *cobra.Command {
	var (
		out, start, after, at string
		follow                bool
	)
	cmd := &cobra.Command{
		Use:   "get-media STREAM -o FILE",
		Short: "Read a stream with GetMedia into a playable .mkv",
		Long: "get-media reads a stream from the selected start (--start EARLIEST by default) until the\n" +
			"server has had nothing to send for 3 s, or with --follow until interrupted, resuming after\n" +
			"dropped connections. The chunks are merged into one Matroska file that players open.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sel, err := startSelector(start, after, at)
			if err != nil {
				return err
			}
			if out == "" {
				return errors.New("get-media: -o FILE is required (use - for standard output)")
			}
			return getMedia(cmd.Context(), g, args[0], sel, out, follow, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&out, "output", "o", "", "file to write (- for standard output)")
	f.StringVar(&start, "start", "EARLIEST", "EARLIEST, NOW, FRAGMENT_NUMBER (with --after), SERVER_TIMESTAMP or PRODUCER_TIMESTAMP (with --at), CONTINUATION_TOKEN (with --after)")
	f.StringVar(&after, "after", "", "fragment number or continuation token to start after")
	f.StringVar(&at, "at", "", "start timestamp, RFC 3339 (e.g. 2026-11-25T12:00:00Z)")
	f.BoolVar(&follow, "follow", false, "keep reading new media until interrupted")
	return cmd
}

func startSelector(kind, after, at string) (parser.StartSelector, error) {
	sel := parser.StartSelector{Type: parser.StartSelectorType(strings.ToUpper(kind))}
	switch sel.Type {
	case "FRAGMENT_NUMBER":
		sel.AfterFragmentNumber = after
	case "CONTINUATION_TOKEN":
		sel.ContinuationToken = after
	case "SERVER_TIMESTAMP", "PRODUCER_TIMESTAMP":
		t, err := time.Parse(time.RFC3339Nano, at)
		if err != nil {
			return sel, fmt.Errorf("--at %q: want an RFC 3339 time such as 2026-11-25T12:00:00Z", at)
		}
		sel.StartTimestamp = t
	}
	if err := sel.Validate(); err != nil {
		return sel, fmt.Errorf("start selector: %w", err)
	}
	return sel, nil
}

func getMedia(ctx context.Context, g *globalOptions, stream string, sel parser.StartSelector, out string, follow bool, stdout, stderr io.Writer) error {
	rq, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer rq.close()
	endpoint, err := rq.getDataEndpoint(ctx, stream, "GET_MEDIA")
	if err != nil {
		return err
	}
	var w io.Writer = stdout
	if out != "-" {
		f, err := os.Create(out)
		if err != nil {
			return fmt.Errorf("get-media: %w", err)
		}
		defer f.Close()
		w = f
	}
	merger := parser.NewMerger(w, parser.MergeOptions{})
	if follow {
		err = followMedia(ctx, rq, endpoint, stream, sel, merger)
	} else {
		err = readMediaOnce(ctx, rq, endpoint, stream, sel, merger)
	}
	if cerr := merger.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("get-media: %w", err)
	}
	fmt.Fprintf(stderr, "kvsctl: wrote %d frames in %d segment(s) to %s\n", merger.Frames(), merger.Segments(), out)
	return nil
}

// readMediaOnce makes one GetMedia request; kvsd (like KVS) ends the
// response once it has had nothing to send for 3 s.
func readMediaOnce(ctx context.Context, rq *requester, endpoint, stream string, sel parser.StartSelector, merger *parser.Merger) error {
	body, err := json.Marshal(struct {
		StreamName    string
		StartSelector parser.StartSelector
	}{stream, sel})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+"/getMedia", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256(body)
	if err := rq.sign(ctx, req, hex.EncodeToString(sum[:])); err != nil {
		return err
	}
	resp, err := rq.http.Do(req)
	if err != nil {
		return transportError("GetMedia "+stream, endpoint, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return readAPIError("GetMedia "+stream, resp)
	}
	return parser.NewReader(resp.Body, parser.Options{}).Walk(merger.Handler())
}

// followMedia reads with the resilient consumer until ctx ends (Ctrl-C),
// resuming after dropped connections without losing or repeating a frame.
func followMedia(ctx context.Context, rq *requester, endpoint, stream string, sel parser.StartSelector, merger *parser.Merger) error {
	c, err := parser.NewConsumer(parser.ConsumerConfig{
		Endpoint: endpoint, StreamName: stream, StartSelector: sel,
		Region: rq.aws.Region, Credentials: rq.aws.Credentials, HTTPClient: rq.http,
	})
	if err != nil {
		return err
	}
	defer c.Close()
	err = c.Run(ctx, merger.Handler())
	if errors.Is(err, context.Canceled) {
		return nil // interrupted: what was read is written
	}
	return err
}
