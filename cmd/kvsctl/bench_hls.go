package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	am "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/spf13/cobra"

	"github.com/openkvs/openkvs/internal/hlsload"
)

// benchHLSOptions are the flags of "kvsctl bench hls".
type benchHLSOptions struct {
	viewers  int
	sessions int
	duration durationValue
	poll     durationValue
	json     bool
}

// hlsBenchReport is the result of "kvsctl bench hls" (its --json form).
type hlsBenchReport struct {
	Stream    string         `json:"stream"`
	Viewers   int            `json:"viewers"`
	Sessions  int            `json:"sessions"`
	DurationS float64        `json:"duration_s"`
	Playlists latencySummary `json:"playlist_response"`
	Segments  latencySummary `json:"segment_response"`
	Bytes     int64          `json:"segment_bytes"`
	Errors    int            `json:"errors"`
	// FirstError is the first failed request, to say what went wrong.
	FirstError string `json:"first_error,omitempty"`
}

func newBenchHLSCmd(g *globalOptions, stdout io.Writer) *cobra.Command {
	o := &benchHLSOptions{viewers: 200, sessions: 100, duration: durationValue(30 * time.Second), poll: durationValue(time.Second)}
	cmd := &cobra.Command{
		Use:   "hls STREAM",
		Short: "Watch a live stream with N HLS viewers and report playlist and segment response times",
		Long: `Create --sessions LIVE fMP4 HLS sessions of STREAM (GetHLSStreamingSessionURL) and
share them among --viewers viewers. Each viewer polls its track-1 media playlist
every --poll and, as hls.js does, starts with the last 3 segments listed, then
fetches every new segment, on keep-alive connections; the viewers start spread
over one poll interval. After --duration it reports the response times (request to last
octet) of playlists and segments. Any failed request counts as an error and makes
the command exit non-zero. KVS allows a limited number of sessions per stream
(kvsd: -playback-sessions-per-stream, 100 by default).`,
		Example: `  kvsctl --endpoint-url http://127.0.0.1:4566 bench hls camera1 --viewers 200 --duration 1m`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case o.viewers < 1:
				return fmt.Errorf("--viewers %d: must be at least 1", o.viewers)
			case o.sessions < 1 || o.sessions > o.viewers:
				return fmt.Errorf("--sessions %d: must be between 1 and --viewers (%d)", o.sessions, o.viewers)
			case o.duration <= 0 || o.poll <= 0:
				return errors.New("--duration and --poll must be more than 0")
			}
			return runBenchHLS(cmd.Context(), g, o, args[0], stdout)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.viewers, "viewers", o.viewers, "number of viewers")
	f.IntVar(&o.sessions, "sessions", o.sessions, "number of HLS sessions the viewers share")
	f.Var(&o.duration, "duration", "how long the viewers watch")
	f.Var(&o.poll, "poll", "how often a viewer reloads its media playlist")
	f.BoolVar(&o.json, "json", false, "print the result as JSON")
	return cmd
}

func runBenchHLS(ctx context.Context, g *globalOptions, o *benchHLSOptions, stream string, stdout io.Writer) error {
	client, err := archivedMediaClient(ctx, g, stream, "GET_HLS_STREAMING_SESSION_URL")
	if err != nil {
		return err
	}
	urls := make([]string, o.sessions)
	for i := range urls {
		out, err := client.GetHLSStreamingSessionURL(ctx, &am.GetHLSStreamingSessionURLInput{StreamName: aws.String(stream),
			PlaybackMode: amtypes.HLSPlaybackModeLive, ContainerFormat: amtypes.ContainerFormatFragmentedMp4})
		if err != nil {
			return fmt.Errorf("GetHLSStreamingSessionURL %s (session %d of %d): %w", stream, i+1, o.sessions, err)
		}
		urls[i] = aws.ToString(out.HLSStreamingSessionURL)
	}
	hc := viewerHTTPClient(client, o.viewers)
	for i, master := range urls {
		if urls[i], err = hlsload.MediaPlaylistURL(ctx, hc, master); err != nil {
			return err
		}
	}

	ctx, cancel := context.WithTimeout(ctx, time.Duration(o.duration))
	defer cancel()
	res := hlsload.Watch(ctx, hc, urls, o.viewers, time.Duration(o.poll))
	rep := hlsBenchReport{Stream: stream, Viewers: o.viewers, Sessions: o.sessions, DurationS: time.Duration(o.duration).Seconds(),
		Playlists: summarize(res.Playlists), Segments: summarize(res.Segments), Bytes: res.Bytes, Errors: res.Errors}
	if res.FirstError != nil {
		rep.FirstError = res.FirstError.Error()
	}
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(stdout, "%d viewers of %s on %d LIVE HLS sessions for %s\n", rep.Viewers, stream, rep.Sessions, time.Duration(o.duration))
		fmt.Fprintf(stdout, "  playlists: %d, response p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", rep.Playlists.Count, rep.Playlists.P50, rep.Playlists.P99, rep.Playlists.Max)
		fmt.Fprintf(stdout, "  segments:  %d (%.1f MB), response p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", rep.Segments.Count, float64(rep.Bytes)/1e6, rep.Segments.P50, rep.Segments.P99, rep.Segments.Max)
		fmt.Fprintf(stdout, "  errors:    %d\n", rep.Errors)
	}
	if rep.Errors > 0 {
		return fmt.Errorf("%d requests failed; the first: %s", rep.Errors, rep.FirstError)
	}
	return nil
}

// viewerHTTPClient is the archived-media client's transport (TLS settings
// included) with an idle connection kept per viewer.
func viewerHTTPClient(client *am.Client, viewers int) *http.Client {
	var rt http.RoundTripper = http.DefaultTransport
	if hc, ok := client.Options().HTTPClient.(*http.Client); ok && hc.Transport != nil {
		rt = hc.Transport
	}
	if t, ok := rt.(*http.Transport); ok {
		t = t.Clone()
		t.MaxIdleConnsPerHost = viewers
		rt = t
	}
	return &http.Client{Transport: rt}
}
