package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo/types"
	"github.com/spf13/cobra"
)

// The stream admin commands (create, describe, list, update, delete, tag,
// retention) are thin: one or two control-plane calls through the SDK
// client, with the answer printed as a table or as JSON.

// connect resolves the AWS settings and returns a requester for them. The
// caller closes it.
func (g *globalOptions) connect(ctx context.Context) (*requester, error) {
	settings, err := g.resolveAWS(ctx)
	if err != nil {
		return nil, err
	}
	return newRequester(settings, g.noVerifySSL), nil
}

// streamView is what describe and list print of a stream.
type streamView struct {
	StreamName           string
	StreamARN            string
	Status               string
	MediaType            string `json:",omitempty"`
	DeviceName           string `json:",omitempty"`
	KmsKeyID             string `json:"KmsKeyId,omitempty"`
	DataRetentionInHours int32
	Version              string
	CreationTime         time.Time
}

func viewOf(si *types.StreamInfo) streamView {
	v := streamView{
		StreamName: aws.ToString(si.StreamName), StreamARN: aws.ToString(si.StreamARN), Status: string(si.Status),
		MediaType: aws.ToString(si.MediaType), DeviceName: aws.ToString(si.DeviceName), KmsKeyID: aws.ToString(si.KmsKeyId),
		DataRetentionInHours: aws.ToInt32(si.DataRetentionInHours), Version: aws.ToString(si.Version),
	}
	if si.CreationTime != nil {
		v.CreationTime = si.CreationTime.UTC()
	}
	return v
}

// printStreams writes streams as JSON or as a table.
func printStreams(w io.Writer, asJSON bool, streams []streamView) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(streams)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATUS\tRETENTION\tMEDIA TYPE\tCREATED\tARN")
	for _, s := range streams {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.StreamName, s.Status, retentionText(s.DataRetentionInHours),
			dash(s.MediaType), s.CreationTime.Format(time.RFC3339), s.StreamARN)
	}
	return tw.Flush()
}

func retentionText(hours int32) string {
	if hours == 0 {
		return "none (live only)"
	}
	return strconv.Itoa(int(hours)) + "h"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// parseRetention reads a retention period: whole hours ("24"), or a
// duration in hours or days ("48h", "7d"). KVS keeps whole hours only.
func parseRetention(s string) (int32, error) {
	s = strings.TrimSpace(s)
	unit := 1
	switch {
	case strings.HasSuffix(s, "d"):
		s, unit = strings.TrimSuffix(s, "d"), 24
	case strings.HasSuffix(s, "h"):
		s = strings.TrimSuffix(s, "h")
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 87600/unit {
		return 0, fmt.Errorf("retention %q: want whole hours from 0 to 87600, e.g. 24, 48h or 7d", s)
	}
	return int32(n * unit), nil
}

// parseTags reads KEY=VALUE arguments.
func parseTags(args []string) (map[string]string, error) {
	tags := make(map[string]string, len(args))
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("tag %q: want KEY=VALUE", a)
		}
		tags[k] = v
	}
	return tags, nil
}

// waitStatus polls DescribeStream until the stream has the wanted status,
// or is gone when want is "" (after a delete).
func (r *requester) waitStatus(ctx context.Context, name string, want types.Status, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		out, err := r.kv.DescribeStream(ctx, &kinesisvideo.DescribeStreamInput{StreamName: aws.String(name)})
		switch {
		case want == "" && isAPIError(err, "ResourceNotFoundException"):
			return nil
		case err != nil:
			return r.explain(err, name)
		case want != "" && out.StreamInfo != nil && out.StreamInfo.Status == want:
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("stream %s: not %s after %s", name, cmp.Or(string(want), "deleted"), timeout)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// optional is nil for an empty flag, which the API treats as absent.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// newCreateCmd is "kvsctl create STREAM".
func newCreateCmd(g *globalOptions, stdout io.Writer) *cobra.Command {
	var retention, mediaType, kmsKey, device string
	var tagArgs []string
	var wait bool
	cmd := &cobra.Command{
		Use:   "create STREAM",
		Short: "Create a stream (CreateStream)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			hours, err := parseRetention(retention)
			if err != nil {
				return err
			}
			tags, err := parseTags(tagArgs)
			if err != nil {
				return err
			}
			in := &kinesisvideo.CreateStreamInput{
				StreamName: aws.String(args[0]), DataRetentionInHours: aws.Int32(hours),
				MediaType: optional(mediaType), KmsKeyId: optional(kmsKey), DeviceName: optional(device),
			}
			if len(tags) > 0 {
				in.Tags = tags
			}
			rq, err := g.connect(cmd.Context())
			if err != nil {
				return err
			}
			defer rq.close()
			out, err := rq.kv.CreateStream(cmd.Context(), in)
			if err != nil {
				return rq.explain(err, args[0])
			}
			if wait {
				if err := rq.waitStatus(cmd.Context(), args[0], types.StatusActive, time.Minute); err != nil {
					return err
				}
			}
			fmt.Fprintln(stdout, aws.ToString(out.StreamARN))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&retention, "retention", "24", "how long media is kept: whole hours (24), 48h or 7d; 0 keeps none (live only)")
	f.StringVar(&mediaType, "media-type", "", "MIME type of the media, e.g. video/h264")
	f.StringVar(&kmsKey, "kms-key-id", "", "KMS key for encryption at rest")
	f.StringVar(&device, "device-name", "", "name of the device that writes to the stream")
	f.StringArrayVar(&tagArgs, "tag", nil, "KEY=VALUE tag (repeatable)")
	f.BoolVar(&wait, "wait", true, "wait until the stream is ACTIVE")
	return cmd
}

// newDescribeCmd is "kvsctl describe STREAM".
func newDescribeCmd(g *globalOptions, stdout io.Writer) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "describe STREAM",
		Short: "Show a stream (DescribeStream)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rq, err := g.connect(cmd.Context())
			if err != nil {
				return err
			}
			defer rq.close()
			si, err := rq.describe(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			v := viewOf(si)
			if asJSON {
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(v)
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			for _, row := range [][2]string{
				{"Name", v.StreamName}, {"ARN", v.StreamARN}, {"Status", v.Status},
				{"Retention", retentionText(v.DataRetentionInHours)}, {"Media type", dash(v.MediaType)},
				{"Device", dash(v.DeviceName)}, {"KMS key", dash(v.KmsKeyID)}, {"Version", v.Version},
				{"Created", v.CreationTime.Format(time.RFC3339)},
			} {
				fmt.Fprintf(tw, "%s:\t%s\n", row[0], row[1])
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// newListCmd is "kvsctl list": ListStreams, every page.
func newListCmd(g *globalOptions, stdout io.Writer) *cobra.Command {
	var prefix string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List streams (ListStreams), optionally those whose name begins with --prefix",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			rq, err := g.connect(cmd.Context())
			if err != nil {
				return err
			}
			defer rq.close()
			in := &kinesisvideo.ListStreamsInput{}
			if prefix != "" {
				in.StreamNameCondition = &types.StreamNameCondition{
					ComparisonOperator: types.ComparisonOperatorBeginsWith, ComparisonValue: aws.String(prefix),
				}
			}
			streams := []streamView{}
			for p := kinesisvideo.NewListStreamsPaginator(rq.kv, in); p.HasMorePages(); {
				page, err := p.NextPage(cmd.Context())
				if err != nil {
					return rq.explain(err, "")
				}
				for i := range page.StreamInfoList {
					streams = append(streams, viewOf(&page.StreamInfoList[i]))
				}
			}
			return printStreams(stdout, asJSON, streams)
		},
	}
	cmd.Flags().StringVar(&prefix, "prefix", "", "only streams whose name begins with this")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// newUpdateCmd is "kvsctl update STREAM": UpdateStream against the
// stream's current version.
func newUpdateCmd(g *globalOptions) *cobra.Command {
	var mediaType, device string
	cmd := &cobra.Command{
		Use:   "update STREAM",
		Short: "Change a stream's media type or device name (UpdateStream)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f := cmd.Flags()
			if !f.Changed("media-type") && !f.Changed("device-name") {
				return fmt.Errorf("update %s: nothing to change: give --media-type or --device-name", args[0])
			}
			rq, err := g.connect(cmd.Context())
			if err != nil {
				return err
			}
			defer rq.close()
			ctx := cmd.Context()
			cur, err := rq.describe(ctx, args[0])
			if err != nil {
				return err
			}
			in := &kinesisvideo.UpdateStreamInput{StreamName: aws.String(args[0]), CurrentVersion: cur.Version}
			if f.Changed("media-type") {
				in.MediaType = aws.String(mediaType)
			}
			if f.Changed("device-name") {
				in.DeviceName = aws.String(device)
			}
			if _, err := rq.kv.UpdateStream(ctx, in); err != nil {
				return rq.explain(err, args[0])
			}
			return rq.waitStatus(ctx, args[0], types.StatusActive, time.Minute)
		},
	}
	cmd.Flags().StringVar(&mediaType, "media-type", "", "new MIME type of the media")
	cmd.Flags().StringVar(&device, "device-name", "", "new device name")
	return cmd
}

// newDeleteCmd is "kvsctl delete STREAM".
func newDeleteCmd(g *globalOptions) *cobra.Command {
	var wait bool
	cmd := &cobra.Command{
		Use:   "delete STREAM",
		Short: "Delete a stream and its media (DeleteStream)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rq, err := g.connect(cmd.Context())
			if err != nil {
				return err
			}
			defer rq.close()
			ctx := cmd.Context()
			// DeleteStream takes only an ARN.
			si, err := rq.describe(ctx, args[0])
			if err != nil {
				return err
			}
			if _, err := rq.kv.DeleteStream(ctx, &kinesisvideo.DeleteStreamInput{StreamARN: si.StreamARN}); err != nil {
				return rq.explain(err, args[0])
			}
			if !wait {
				return nil
			}
			return rq.waitStatus(ctx, args[0], "", time.Minute)
		},
	}
	cmd.Flags().BoolVar(&wait, "wait", true, "wait until the deletion has finished")
	return cmd
}

// newTagCmd is "kvsctl tag STREAM [KEY=VALUE...] [--remove KEY...]": with
// no changes it lists the tags.
func newTagCmd(g *globalOptions, stdout io.Writer) *cobra.Command {
	var remove []string
	cmd := &cobra.Command{
		Use:   "tag STREAM [KEY=VALUE...]",
		Short: "Add (TagStream), remove (UntagStream, --remove) or list (ListTagsForStream) a stream's tags",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			tags, err := parseTags(args[1:])
			if err != nil {
				return err
			}
			rq, err := g.connect(cmd.Context())
			if err != nil {
				return err
			}
			defer rq.close()
			ctx, name := cmd.Context(), aws.String(args[0])
			if len(tags) > 0 {
				if _, err := rq.kv.TagStream(ctx, &kinesisvideo.TagStreamInput{StreamName: name, Tags: tags}); err != nil {
					return rq.explain(err, args[0])
				}
			}
			if len(remove) > 0 {
				if _, err := rq.kv.UntagStream(ctx, &kinesisvideo.UntagStreamInput{StreamName: name, TagKeyList: remove}); err != nil {
					return rq.explain(err, args[0])
				}
			}
			if len(tags) > 0 || len(remove) > 0 {
				return nil
			}
			all := map[string]string{}
			in := &kinesisvideo.ListTagsForStreamInput{StreamName: name}
			for {
				out, err := rq.kv.ListTagsForStream(ctx, in)
				if err != nil {
					return rq.explain(err, args[0])
				}
				for k, v := range out.Tags {
					all[k] = v
				}
				if aws.ToString(out.NextToken) == "" {
					break
				}
				in.NextToken = out.NextToken
			}
			keys := make([]string, 0, len(all))
			for k := range all {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				fmt.Fprintf(stdout, "%s=%s\n", k, all[k])
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&remove, "remove", nil, "tag key to remove (repeatable)")
	return cmd
}

// newRetentionCmd is "kvsctl retention STREAM PERIOD": it sets the
// retention to PERIOD, choosing UpdateDataRetention's INCREASE or DECREASE
// from the current value.
func newRetentionCmd(g *globalOptions, stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "retention STREAM PERIOD",
		Short: "Set how long a stream keeps media (UpdateDataRetention): 24, 48h, 7d",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			want, err := parseRetention(args[1])
			if err != nil {
				return err
			}
			rq, err := g.connect(cmd.Context())
			if err != nil {
				return err
			}
			defer rq.close()
			ctx := cmd.Context()
			cur, err := rq.describe(ctx, args[0])
			if err != nil {
				return err
			}
			have := aws.ToInt32(cur.DataRetentionInHours)
			if have == want {
				fmt.Fprintf(stdout, "%s already keeps %s\n", args[0], retentionText(want))
				return nil
			}
			in := &kinesisvideo.UpdateDataRetentionInput{
				StreamName: aws.String(args[0]), CurrentVersion: cur.Version,
				Operation: types.UpdateDataRetentionOperationIncreaseDataRetention, DataRetentionChangeInHours: aws.Int32(want - have),
			}
			if want < have {
				in.Operation = types.UpdateDataRetentionOperationDecreaseDataRetention
				in.DataRetentionChangeInHours = aws.Int32(have - want)
			}
			if _, err := rq.kv.UpdateDataRetention(ctx, in); err != nil {
				return rq.explain(err, args[0])
			}
			if err := rq.waitStatus(ctx, args[0], types.StatusActive, time.Minute); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%s keeps %s (was %s)\n", args[0], retentionText(want), retentionText(have))
			return nil
		},
	}
}
