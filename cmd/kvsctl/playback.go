package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	am "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/spf13/cobra"
)

// The playback commands: hls-url and dash-url print a session URL for a
// player; clip downloads an MP4 of any length, stitched from as many
// GetClip calls as the 200-fragment / 100 MB limit needs.

// newPlaybackCmds returns hls-url, dash-url and clip.
func newPlaybackCmds(g *globalOptions, stdout, stderr io.Writer) []*cobra.Command {
	return []*cobra.Command{newSessionURLCmd(g, stdout, "hls-url"), newSessionURLCmd(g, stdout, "dash-url"), newClipCmd(g, stderr)}
}

// sessionOptions are the flags hls-url and dash-url share.
type sessionOptions struct {
	mode, container, selector string
	start, end                string
	expires                   time.Duration
	max                       int64
}

func newSessionURLCmd(g *globalOptions, stdout io.Writer, name string) *cobra.Command {
	o := sessionOptions{}
	protocol := "HLS"
	if name == "dash-url" {
		protocol = "MPEG-DASH"
	}
	cmd := &cobra.Command{
		Use:   name + " STREAM",
		Short: "Print a " + protocol + " streaming session URL for a player (Get" + map[string]string{"hls-url": "HLS", "dash-url": "DASH"}[name] + "StreamingSessionURL)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			client, err := archivedMediaClient(ctx, g, args[0], map[string]string{"hls-url": "GET_HLS_STREAMING_SESSION_URL", "dash-url": "GET_DASH_STREAMING_SESSION_URL"}[name])
			if err != nil {
				return err
			}
			start, end, err := parseRange(o.start, o.end, false)
			if err != nil {
				return err
			}
			var expires *int32
			if o.expires != 0 {
				expires = aws.Int32(int32(o.expires / time.Second))
			}
			var max *int64
			if o.max != 0 {
				max = aws.Int64(o.max)
			}
			var u string
			if name == "hls-url" {
				in := &am.GetHLSStreamingSessionURLInput{StreamName: aws.String(args[0]), PlaybackMode: amtypes.HLSPlaybackMode(o.mode),
					Expires: expires, MaxMediaPlaylistFragmentResults: max}
				switch o.container {
				case "fmp4":
					in.ContainerFormat = amtypes.ContainerFormatFragmentedMp4
				case "ts":
					in.ContainerFormat = amtypes.ContainerFormatMpegTs
				default:
					return fmt.Errorf("--container %q: want fmp4 or ts", o.container)
				}
				if o.selector != "" || start != nil {
					in.HLSFragmentSelector = &amtypes.HLSFragmentSelector{FragmentSelectorType: amtypes.HLSFragmentSelectorType(o.selector)}
					if start != nil {
						in.HLSFragmentSelector.TimestampRange = &amtypes.HLSTimestampRange{StartTimestamp: start, EndTimestamp: end}
					}
				}
				out, err := client.GetHLSStreamingSessionURL(ctx, in)
				if err != nil {
					return fmt.Errorf("GetHLSStreamingSessionURL %s: %w", args[0], err)
				}
				u = aws.ToString(out.HLSStreamingSessionURL)
			} else {
				in := &am.GetDASHStreamingSessionURLInput{StreamName: aws.String(args[0]), PlaybackMode: amtypes.DASHPlaybackMode(o.mode),
					Expires: expires, MaxManifestFragmentResults: max}
				if o.selector != "" || start != nil {
					in.DASHFragmentSelector = &amtypes.DASHFragmentSelector{FragmentSelectorType: amtypes.DASHFragmentSelectorType(o.selector)}
					if start != nil {
						in.DASHFragmentSelector.TimestampRange = &amtypes.DASHTimestampRange{StartTimestamp: start, EndTimestamp: end}
					}
				}
				out, err := client.GetDASHStreamingSessionURL(ctx, in)
				if err != nil {
					return fmt.Errorf("GetDASHStreamingSessionURL %s: %w", args[0], err)
				}
				u = aws.ToString(out.DASHStreamingSessionURL)
			}
			_, err = fmt.Fprintln(stdout, u)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.mode, "mode", "LIVE", "playback mode: LIVE, LIVE_REPLAY or ON_DEMAND")
	f.StringVar(&o.start, "start", "", "start of the range (RFC 3339); LIVE_REPLAY and ON_DEMAND")
	f.StringVar(&o.end, "end", "", "end of the range (RFC 3339); ON_DEMAND, optional for LIVE_REPLAY")
	f.StringVar(&o.selector, "timestamps", "", "which timestamps the range means: SERVER_TIMESTAMP (the service's default) or PRODUCER_TIMESTAMP")
	f.DurationVar(&o.expires, "expires", 0, "session lifetime, 300s to 12h (default 5m)")
	f.Int64Var(&o.max, "max-fragments", 0, "fragments per playlist or manifest, 1 to 5000 (default 5 live, 1000 on demand)")
	if name == "hls-url" {
		f.StringVar(&o.container, "container", "fmp4", "segment container: fmp4 or ts")
	}
	return cmd
}

// archivedMediaClient returns an SDK client for the stream's data endpoint
// of api.
func archivedMediaClient(ctx context.Context, g *globalOptions, stream, api string) (*am.Client, error) {
	rq, err := g.connect(ctx)
	if err != nil {
		return nil, err
	}
	endpoint, err := rq.getDataEndpoint(ctx, stream, api)
	if err != nil {
		return nil, err
	}
	return am.NewFromConfig(rq.aws.Config, func(o *am.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.Credentials = rq.aws.Credentials
		o.HTTPClient = clipHTTPClient(rq)
	}), nil
}

// parseRange parses --start and --end; both are required when need is set.
func parseRange(start, end string, need bool) (*time.Time, *time.Time, error) {
	parse := func(flag, v string) (*time.Time, error) {
		if v == "" {
			if need {
				return nil, fmt.Errorf("--%s is required", flag)
			}
			return nil, nil
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return nil, fmt.Errorf("--%s %q: want an RFC 3339 time such as 2026-01-02T15:04:05Z", flag, v)
		}
		return &t, nil
	}
	s, err := parse("start", start)
	if err != nil {
		return nil, nil, err
	}
	e, err := parse("end", end)
	if err != nil {
		return nil, nil, err
	}
	if s == nil && e != nil {
		return nil, nil, fmt.Errorf("--end needs --start")
	}
	if s != nil && e != nil && !e.After(*s) {
		return nil, nil, fmt.Errorf("--end must be later than --start")
	}
	return s, e, nil
}
