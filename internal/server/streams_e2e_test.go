package server_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/config"
	"github.com/openkvs/openkvs/internal/kvsdtest"
)

// requireAPIError checks the AWS error name and HTTP status a real client saw.
func requireAPIError(t *testing.T, err error, code string, status int) {
	t.Helper()
	require.Error(t, err)
	var apiErr smithy.APIError
	require.True(t, errors.As(err, &apiErr), "not an API error: %v", err)
	require.Equal(t, code, apiErr.ErrorCode(), "message: %s", apiErr.ErrorMessage())
	require.NotEmpty(t, apiErr.ErrorMessage())
	var respErr *smithyhttp.ResponseError
	require.True(t, errors.As(err, &respErr))
	require.Equal(t, status, respErr.HTTPStatusCode())
	require.NotEmpty(t, respErr.Response.Header.Get("x-amzn-RequestId"))
}

func waitActive(t *testing.T, c *kinesisvideo.Client, name string) *types.StreamInfo {
	t.Helper()
	var info *types.StreamInfo
	require.Eventually(t, func() bool {
		out, err := c.DescribeStream(context.Background(), &kinesisvideo.DescribeStreamInput{StreamName: aws.String(name)})
		require.NoError(t, err)
		info = out.StreamInfo
		return info.Status == types.StatusActive
	}, 5*time.Second, 10*time.Millisecond)
	return info
}

func TestStreamLifecycle(t *testing.T) {
	ctx := context.Background()
	srv := kvsdtest.Start(t, func(c *config.Config) { c.TransitionDelay = 300 * time.Millisecond })
	c := srv.KinesisVideo()

	before := time.Now().Add(-time.Second)
	out, err := c.CreateStream(ctx, &kinesisvideo.CreateStreamInput{
		StreamName:           aws.String("cam-1"),
		DeviceName:           aws.String("dev-1"),
		MediaType:            aws.String("video/h264,audio/aac"),
		DataRetentionInHours: aws.Int32(24),
		Tags:                 map[string]string{"site": "lab", "floor": "2"},
	})
	require.NoError(t, err)
	require.Regexp(t, `^arn:aws:kinesisvideo:us-east-1:000000000000:stream/cam-1/[0-9]{13}$`, aws.ToString(out.StreamARN))
	arn := out.StreamARN

	desc, err := c.DescribeStream(ctx, &kinesisvideo.DescribeStreamInput{StreamARN: arn})
	require.NoError(t, err)
	require.Equal(t, types.StatusCreating, desc.StreamInfo.Status, "CreateStream is asynchronous")
	_, err = c.UpdateStream(ctx, &kinesisvideo.UpdateStreamInput{StreamName: aws.String("cam-1"), CurrentVersion: desc.StreamInfo.Version, DeviceName: aws.String("x")})
	requireAPIError(t, err, "ResourceInUseException", 400)

	info := waitActive(t, c, "cam-1")
	require.Equal(t, "cam-1", aws.ToString(info.StreamName))
	require.Equal(t, "dev-1", aws.ToString(info.DeviceName))
	require.Equal(t, "video/h264,audio/aac", aws.ToString(info.MediaType))
	require.Equal(t, int32(24), aws.ToInt32(info.DataRetentionInHours))
	require.NotEmpty(t, aws.ToString(info.KmsKeyId))
	require.Regexp(t, `^[a-zA-Z0-9]{20}$`, aws.ToString(info.Version))
	require.WithinRange(t, aws.ToTime(info.CreationTime), before, time.Now().Add(time.Second))
	v1 := info.Version

	// UpdateStream needs the current version and issues a new one.
	_, err = c.UpdateStream(ctx, &kinesisvideo.UpdateStreamInput{StreamName: aws.String("cam-1"), CurrentVersion: aws.String("stale"), MediaType: aws.String("video/h265")})
	requireAPIError(t, err, "VersionMismatchException", 400)
	_, err = c.UpdateStream(ctx, &kinesisvideo.UpdateStreamInput{StreamARN: arn, CurrentVersion: v1, MediaType: aws.String("video/h265")})
	require.NoError(t, err)
	desc, err = c.DescribeStream(ctx, &kinesisvideo.DescribeStreamInput{StreamName: aws.String("cam-1")})
	require.NoError(t, err)
	require.Equal(t, types.StatusUpdating, desc.StreamInfo.Status)
	info = waitActive(t, c, "cam-1")
	require.Equal(t, "video/h265", aws.ToString(info.MediaType))
	require.Equal(t, "dev-1", aws.ToString(info.DeviceName), "absent members stay unchanged")
	require.NotEqual(t, aws.ToString(v1), aws.ToString(info.Version))
	v2 := info.Version

	// UpdateDataRetention in both directions, within 0..87600.
	_, err = c.UpdateDataRetention(ctx, &kinesisvideo.UpdateDataRetentionInput{StreamName: aws.String("cam-1"), CurrentVersion: v2,
		Operation: types.UpdateDataRetentionOperationIncreaseDataRetention, DataRetentionChangeInHours: aws.Int32(6)})
	require.NoError(t, err)
	info = waitActive(t, c, "cam-1")
	require.Equal(t, int32(30), aws.ToInt32(info.DataRetentionInHours))
	_, err = c.UpdateDataRetention(ctx, &kinesisvideo.UpdateDataRetentionInput{StreamName: aws.String("cam-1"), CurrentVersion: v2,
		Operation: types.UpdateDataRetentionOperationDecreaseDataRetention, DataRetentionChangeInHours: aws.Int32(1)})
	requireAPIError(t, err, "VersionMismatchException", 400)
	_, err = c.UpdateDataRetention(ctx, &kinesisvideo.UpdateDataRetentionInput{StreamName: aws.String("cam-1"), CurrentVersion: info.Version,
		Operation: types.UpdateDataRetentionOperationDecreaseDataRetention, DataRetentionChangeInHours: aws.Int32(31)})
	requireAPIError(t, err, "InvalidArgumentException", 400)
	_, err = c.UpdateDataRetention(ctx, &kinesisvideo.UpdateDataRetentionInput{StreamName: aws.String("cam-1"), CurrentVersion: info.Version,
		Operation: types.UpdateDataRetentionOperationIncreaseDataRetention, DataRetentionChangeInHours: aws.Int32(87600)})
	requireAPIError(t, err, "InvalidArgumentException", 400)
	_, err = c.UpdateDataRetention(ctx, &kinesisvideo.UpdateDataRetentionInput{StreamName: aws.String("cam-1"), CurrentVersion: info.Version,
		Operation: types.UpdateDataRetentionOperationDecreaseDataRetention, DataRetentionChangeInHours: aws.Int32(30)})
	require.NoError(t, err)
	info = waitActive(t, c, "cam-1")
	require.Equal(t, int32(0), aws.ToInt32(info.DataRetentionInHours))

	// GetDataEndpoint for every APIName.
	for _, api := range types.APIName("").Values() {
		ep, err := c.GetDataEndpoint(ctx, &kinesisvideo.GetDataEndpointInput{StreamName: aws.String("cam-1"), APIName: api})
		require.NoError(t, err, api)
		require.Equal(t, srv.URL, aws.ToString(ep.DataEndpoint))
	}
	_, err = c.GetDataEndpoint(ctx, &kinesisvideo.GetDataEndpointInput{StreamName: aws.String("cam-1"), APIName: "PUT_SOMETHING"})
	requireAPIError(t, err, "InvalidArgumentException", 400)
	_, err = c.GetDataEndpoint(ctx, &kinesisvideo.GetDataEndpointInput{StreamName: aws.String("nope"), APIName: types.APINamePutMedia})
	requireAPIError(t, err, "ResourceNotFoundException", 404)

	// DeleteStream: version check, DELETING, then gone; the name is reusable.
	_, err = c.DeleteStream(ctx, &kinesisvideo.DeleteStreamInput{StreamARN: arn, CurrentVersion: v1})
	requireAPIError(t, err, "VersionMismatchException", 400)
	_, err = c.DeleteStream(ctx, &kinesisvideo.DeleteStreamInput{StreamARN: arn, CurrentVersion: info.Version})
	require.NoError(t, err)
	desc, err = c.DescribeStream(ctx, &kinesisvideo.DescribeStreamInput{StreamName: aws.String("cam-1")})
	require.NoError(t, err)
	require.Equal(t, types.StatusDeleting, desc.StreamInfo.Status)
	_, err = c.GetDataEndpoint(ctx, &kinesisvideo.GetDataEndpointInput{StreamName: aws.String("cam-1"), APIName: types.APINameGetMedia})
	requireAPIError(t, err, "ResourceNotFoundException", 404)
	_, err = c.DeleteStream(ctx, &kinesisvideo.DeleteStreamInput{StreamARN: arn})
	requireAPIError(t, err, "ResourceInUseException", 400)
	_, err = c.CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String("cam-1")})
	requireAPIError(t, err, "ResourceInUseException", 400)
	require.Eventually(t, func() bool {
		_, err := c.DescribeStream(ctx, &kinesisvideo.DescribeStreamInput{StreamName: aws.String("cam-1")})
		return err != nil
	}, 5*time.Second, 10*time.Millisecond)
	_, err = c.DescribeStream(ctx, &kinesisvideo.DescribeStreamInput{StreamName: aws.String("cam-1")})
	requireAPIError(t, err, "ResourceNotFoundException", 404)

	again, err := c.CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String("cam-1")})
	require.NoError(t, err)
	require.NotEqual(t, aws.ToString(arn), aws.ToString(again.StreamARN), "a re-created stream has a new ARN")
	_, err = c.DescribeStream(ctx, &kinesisvideo.DescribeStreamInput{StreamARN: arn})
	requireAPIError(t, err, "ResourceNotFoundException", 404)
	_, err = c.DeleteStream(ctx, &kinesisvideo.DeleteStreamInput{StreamARN: arn})
	requireAPIError(t, err, "ResourceNotFoundException", 404)
	desc, err = c.DescribeStream(ctx, &kinesisvideo.DescribeStreamInput{StreamName: aws.String("cam-1")})
	require.NoError(t, err)
	require.Equal(t, int32(0), aws.ToInt32(desc.StreamInfo.DataRetentionInHours), "default retention is 0")
}

func TestListStreamsPagination(t *testing.T) {
	ctx := context.Background()
	srv := kvsdtest.Start(t)
	c := srv.KinesisVideo()
	var want []string
	for i := range 25 {
		name := fmt.Sprintf("cam-%02d", i)
		want = append(want, name)
		_, err := c.CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String(name)})
		require.NoError(t, err)
	}
	for _, name := range []string{"door-1", "door-2"} {
		_, err := c.CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String(name)})
		require.NoError(t, err)
	}

	var got []string
	pages := 0
	p := kinesisvideo.NewListStreamsPaginator(c, &kinesisvideo.ListStreamsInput{
		MaxResults:          aws.Int32(10),
		StreamNameCondition: &types.StreamNameCondition{ComparisonOperator: types.ComparisonOperatorBeginsWith, ComparisonValue: aws.String("cam-")},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		require.NoError(t, err)
		pages++
		require.LessOrEqual(t, len(page.StreamInfoList), 10)
		for _, s := range page.StreamInfoList {
			got = append(got, aws.ToString(s.StreamName))
		}
		if pages == 3 {
			require.Nil(t, page.NextToken, "no NextToken on the last page")
		}
	}
	require.Equal(t, 3, pages)
	require.Equal(t, want, got)

	all, err := c.ListStreams(ctx, &kinesisvideo.ListStreamsInput{})
	require.NoError(t, err)
	require.Len(t, all.StreamInfoList, 27)
	require.Nil(t, all.NextToken)

	_, err = c.ListStreams(ctx, &kinesisvideo.ListStreamsInput{MaxResults: aws.Int32(0)})
	requireAPIError(t, err, "InvalidArgumentException", 400)
	_, err = c.ListStreams(ctx, &kinesisvideo.ListStreamsInput{MaxResults: aws.Int32(10001)})
	requireAPIError(t, err, "InvalidArgumentException", 400)
	_, err = c.ListStreams(ctx, &kinesisvideo.ListStreamsInput{NextToken: aws.String("!!!")})
	requireAPIError(t, err, "InvalidArgumentException", 400)
	_, err = c.ListStreams(ctx, &kinesisvideo.ListStreamsInput{StreamNameCondition: &types.StreamNameCondition{ComparisonOperator: "ENDS_WITH", ComparisonValue: aws.String("x")}})
	requireAPIError(t, err, "InvalidArgumentException", 400)
}

func TestStreamTags(t *testing.T) {
	ctx := context.Background()
	srv := kvsdtest.Start(t)
	c := srv.KinesisVideo()
	out, err := c.CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String("tagged"), Tags: map[string]string{"a": "1"}})
	require.NoError(t, err)
	arn := out.StreamARN
	info := waitActive(t, c, "tagged")

	_, err = c.TagStream(ctx, &kinesisvideo.TagStreamInput{StreamName: aws.String("tagged"), Tags: map[string]string{"a": "2", "b": ""}})
	require.NoError(t, err)
	tags, err := c.ListTagsForStream(ctx, &kinesisvideo.ListTagsForStreamInput{StreamARN: arn})
	require.NoError(t, err)
	require.Equal(t, map[string]string{"a": "2", "b": ""}, tags.Tags, "an existing key gets the new value")

	_, err = c.UntagStream(ctx, &kinesisvideo.UntagStreamInput{StreamARN: arn, TagKeyList: []string{"b", "not-there"}})
	require.NoError(t, err)
	tags, err = c.ListTagsForStream(ctx, &kinesisvideo.ListTagsForStreamInput{StreamName: aws.String("tagged")})
	require.NoError(t, err)
	require.Equal(t, map[string]string{"a": "2"}, tags.Tags)

	// The *Resource actions take a list and work on stream ARNs too.
	_, err = c.TagResource(ctx, &kinesisvideo.TagResourceInput{ResourceARN: arn, Tags: []types.Tag{{Key: aws.String("k:1"), Value: aws.String("v=1")}}})
	require.NoError(t, err)
	rt, err := c.ListTagsForResource(ctx, &kinesisvideo.ListTagsForResourceInput{ResourceARN: arn})
	require.NoError(t, err)
	require.Equal(t, map[string]string{"a": "2", "k:1": "v=1"}, rt.Tags)
	_, err = c.UntagResource(ctx, &kinesisvideo.UntagResourceInput{ResourceARN: arn, TagKeyList: []string{"a"}})
	require.NoError(t, err)
	rt, err = c.ListTagsForResource(ctx, &kinesisvideo.ListTagsForResourceInput{ResourceARN: arn})
	require.NoError(t, err)
	require.Equal(t, map[string]string{"k:1": "v=1"}, rt.Tags)

	desc, err := c.DescribeStream(ctx, &kinesisvideo.DescribeStreamInput{StreamARN: arn})
	require.NoError(t, err)
	require.Equal(t, aws.ToString(info.Version), aws.ToString(desc.StreamInfo.Version), "tags do not change the version")

	// The 50-tag limit counts existing tags.
	many := map[string]string{}
	for i := range 49 {
		many[fmt.Sprintf("t%02d", i)] = "x"
	}
	_, err = c.TagStream(ctx, &kinesisvideo.TagStreamInput{StreamARN: arn, Tags: many})
	require.NoError(t, err)
	_, err = c.TagStream(ctx, &kinesisvideo.TagStreamInput{StreamARN: arn, Tags: map[string]string{"one-more": "x"}})
	requireAPIError(t, err, "TagsPerResourceExceededLimitException", 400)
	_, err = c.TagResource(ctx, &kinesisvideo.TagResourceInput{ResourceARN: arn, Tags: []types.Tag{{Key: aws.String("one-more"), Value: aws.String("x")}}})
	requireAPIError(t, err, "TagsPerResourceExceededLimitException", 400)
	_, err = c.TagStream(ctx, &kinesisvideo.TagStreamInput{StreamARN: arn, Tags: map[string]string{"t00": "replaced"}})
	require.NoError(t, err, "replacing a value does not add a tag")
	many["extra"] = "x"
	many["extra2"] = "x"
	_, err = c.CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String("too-many"), Tags: many})
	requireAPIError(t, err, "TagsPerResourceExceededLimitException", 400)

	// Bad ARNs: malformed is InvalidResourceFormat for the *Stream tag
	// actions, unknown is ResourceNotFound.
	_, err = c.TagStream(ctx, &kinesisvideo.TagStreamInput{StreamARN: aws.String("arn:nope"), Tags: map[string]string{"a": "b"}})
	requireAPIError(t, err, "InvalidResourceFormatException", 400)
	_, err = c.ListTagsForStream(ctx, &kinesisvideo.ListTagsForStreamInput{StreamARN: aws.String("not-an-arn")})
	requireAPIError(t, err, "InvalidResourceFormatException", 400)
	_, err = c.UntagStream(ctx, &kinesisvideo.UntagStreamInput{StreamARN: aws.String("arn:x"), TagKeyList: []string{"a"}})
	requireAPIError(t, err, "InvalidResourceFormatException", 400)
	_, err = c.ListTagsForStream(ctx, &kinesisvideo.ListTagsForStreamInput{StreamName: aws.String("missing")})
	requireAPIError(t, err, "ResourceNotFoundException", 404)
	_, err = c.TagResource(ctx, &kinesisvideo.TagResourceInput{ResourceARN: aws.String("arn:aws:kinesisvideo:us-east-1:000000000000:channel/ch/1"), Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}})
	requireAPIError(t, err, "ResourceNotFoundException", 404)
	_, err = c.ListTagsForResource(ctx, &kinesisvideo.ListTagsForResourceInput{ResourceARN: aws.String("arn:aws:kinesisvideo:us-east-1:000000000000:stream/missing/1")})
	requireAPIError(t, err, "ResourceNotFoundException", 404)
	_, err = c.ListTagsForResource(ctx, &kinesisvideo.ListTagsForResourceInput{ResourceARN: aws.String("bad")})
	requireAPIError(t, err, "InvalidArgumentException", 400)
}

func TestValidation(t *testing.T) {
	ctx := context.Background()
	srv := kvsdtest.Start(t)
	c := srv.KinesisVideo()
	out, err := c.CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String("valid")})
	require.NoError(t, err)
	info := waitActive(t, c, "valid")
	long := func(n int) *string { return aws.String(strings.Repeat("a", n)) }

	tests := []struct {
		name string
		call func() error
		code string
	}{
		{"create empty name", func() error {
			_, err := c.CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String("")})
			return err
		}, "InvalidArgumentException"},
		{"create name 257", func() error {
			_, err := c.CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: long(257)})
			return err
		}, "InvalidArgumentException"},
		{"create name pattern", func() error {
			_, err := c.CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String("has space")})
			return err
		}, "InvalidArgumentException"},
		{"create device pattern", func() error {
			_, err := c.CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String("x1"), DeviceName: aws.String("a/b")})
			return err
		}, "InvalidArgumentException"},
		{"create device 129", func() error {
			_, err := c.CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String("x1"), DeviceName: long(129)})
			return err
		}, "InvalidArgumentException"},
		{"create media type", func() error {
			_, err := c.CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String("x1"), MediaType: aws.String("h264")})
			return err
		}, "InvalidArgumentException"},
		{"create kms empty", func() error {
			_, err := c.CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String("x1"), KmsKeyId: aws.String("")})
			return err
		}, "InvalidArgumentException"},
		{"create negative retention", func() error {
			_, err := c.CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String("x1"), DataRetentionInHours: aws.Int32(-1)})
			return err
		}, "InvalidArgumentException"},
		{"create retention above 87600", func() error {
			_, err := c.CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String("x1"), DataRetentionInHours: aws.Int32(87601)})
			return err
		}, "InvalidArgumentException"},
		{"create tag key 129", func() error {
			_, err := c.CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String("x1"), Tags: map[string]string{strings.Repeat("k", 129): "v"}})
			return err
		}, "InvalidArgumentException"},
		{"create tag value 257", func() error {
			_, err := c.CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String("x1"), Tags: map[string]string{"k": strings.Repeat("v", 257)}})
			return err
		}, "InvalidArgumentException"},
		{"create tag value pattern", func() error {
			_, err := c.CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String("x1"), Tags: map[string]string{"k": "a*b"}})
			return err
		}, "InvalidArgumentException"},
		{"create bad storage tier", func() error {
			_, err := c.CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String("x1"),
				StreamStorageConfiguration: &types.StreamStorageConfiguration{DefaultStorageTier: "COLD"}})
			return err
		}, "InvalidArgumentException"},
		{"create duplicate", func() error {
			_, err := c.CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String("valid")})
			return err
		}, "ResourceInUseException"},
		{"describe neither name nor arn", func() error { _, err := c.DescribeStream(ctx, &kinesisvideo.DescribeStreamInput{}); return err }, "InvalidArgumentException"},
		{"describe conflicting identifiers", func() error {
			_, err := c.DescribeStream(ctx, &kinesisvideo.DescribeStreamInput{StreamName: aws.String("other"), StreamARN: out.StreamARN})
			return err
		}, "InvalidArgumentException"},
		{"describe bad arn", func() error {
			_, err := c.DescribeStream(ctx, &kinesisvideo.DescribeStreamInput{StreamARN: aws.String("arn:aws:s3:::bucket")})
			return err
		}, "InvalidArgumentException"},
		{"describe other region arn", func() error {
			_, err := c.DescribeStream(ctx, &kinesisvideo.DescribeStreamInput{StreamARN: aws.String(strings.Replace(aws.ToString(out.StreamARN), "us-east-1", "eu-west-1", 1))})
			return err
		}, "ResourceNotFoundException"},
		{"update version pattern", func() error {
			_, err := c.UpdateStream(ctx, &kinesisvideo.UpdateStreamInput{StreamName: aws.String("valid"), CurrentVersion: aws.String("v-1")})
			return err
		}, "InvalidArgumentException"},
		{"update missing stream", func() error {
			_, err := c.UpdateStream(ctx, &kinesisvideo.UpdateStreamInput{StreamName: aws.String("missing"), CurrentVersion: aws.String("v1")})
			return err
		}, "ResourceNotFoundException"},
		{"retention change 0", func() error {
			_, err := c.UpdateDataRetention(ctx, &kinesisvideo.UpdateDataRetentionInput{StreamName: aws.String("valid"), CurrentVersion: info.Version,
				Operation: types.UpdateDataRetentionOperationIncreaseDataRetention, DataRetentionChangeInHours: aws.Int32(0)})
			return err
		}, "InvalidArgumentException"},
		{"retention bad operation", func() error {
			_, err := c.UpdateDataRetention(ctx, &kinesisvideo.UpdateDataRetentionInput{StreamName: aws.String("valid"), CurrentVersion: info.Version,
				Operation: "DOUBLE", DataRetentionChangeInHours: aws.Int32(1)})
			return err
		}, "InvalidArgumentException"},
		{"untag empty list", func() error {
			_, err := c.UntagStream(ctx, &kinesisvideo.UntagStreamInput{StreamName: aws.String("valid"), TagKeyList: []string{}})
			return err
		}, "InvalidArgumentException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status := 400
			if tc.code == "ResourceNotFoundException" {
				status = 404
			}
			requireAPIError(t, tc.call(), tc.code, status)
		})
	}
	desc, err := c.DescribeStream(ctx, &kinesisvideo.DescribeStreamInput{StreamName: aws.String("valid")})
	require.NoError(t, err)
	require.Equal(t, aws.ToString(info.Version), aws.ToString(desc.StreamInfo.Version), "failed calls changed nothing")
}

func TestAccountStreamLimit(t *testing.T) {
	ctx := context.Background()
	srv := kvsdtest.Start(t, func(c *config.Config) { c.MaxStreams = 3; c.TransitionDelay = 0 })
	c := srv.KinesisVideo()
	var arns []*string
	for i := range 3 {
		out, err := c.CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String(fmt.Sprintf("s%d", i))})
		require.NoError(t, err)
		arns = append(arns, out.StreamARN)
	}
	_, err := c.CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String("s3")})
	requireAPIError(t, err, "AccountStreamLimitExceededException", 400)
	_, err = c.DeleteStream(ctx, &kinesisvideo.DeleteStreamInput{StreamARN: arns[0]})
	require.NoError(t, err)
	_, err = c.CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String("s3")})
	require.NoError(t, err, "a deleted stream frees its slot")
}

func TestRestartKeepsStreamsTagsAndVersions(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srv := kvsdtest.Start(t, func(c *config.Config) { c.DataDir = dir })
	c := srv.KinesisVideo()
	_, err := c.CreateStream(ctx, &kinesisvideo.CreateStreamInput{StreamName: aws.String("persist"), DataRetentionInHours: aws.Int32(5), Tags: map[string]string{"k": "v"}})
	require.NoError(t, err)
	info := waitActive(t, c, "persist")
	_, err = c.UpdateStream(ctx, &kinesisvideo.UpdateStreamInput{StreamName: aws.String("persist"), CurrentVersion: info.Version, MediaType: aws.String("video/h264")})
	require.NoError(t, err)
	_, err = c.TagStream(ctx, &kinesisvideo.TagStreamInput{StreamName: aws.String("persist"), Tags: map[string]string{"k2": "v2"}})
	require.NoError(t, err)
	before := waitActive(t, c, "persist")
	srv.Stop(t)

	srv2 := kvsdtest.Start(t, func(c *config.Config) { c.DataDir = dir })
	c2 := srv2.KinesisVideo()
	after := waitActive(t, c2, "persist")
	require.Equal(t, before, after)
	tags, err := c2.ListTagsForStream(ctx, &kinesisvideo.ListTagsForStreamInput{StreamName: aws.String("persist")})
	require.NoError(t, err)
	require.Equal(t, map[string]string{"k": "v", "k2": "v2"}, tags.Tags)
}
