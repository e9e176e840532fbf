package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/kvsdtest"
)

// TestStreamAdmin drives create, describe, list, update, tag, retention and
// delete against a live kvsd and checks each result through the next
// command's output.
func TestStreamAdmin(t *testing.T) {
	srv := kvsdtest.Start(t)
	setAWSEnv(t, kvsdtest.AccessKeyID, kvsdtest.SecretAccessKey)
	ctx := context.Background()
	kvsctl := func(args ...string) (string, error) {
		var stdout, stderr bytes.Buffer
		err := run(ctx, append([]string{"--endpoint-url", srv.URL}, args...), &stdout, &stderr)
		return stdout.String(), err
	}
	must := func(args ...string) string {
		t.Helper()
		out, err := kvsctl(args...)
		require.NoError(t, err, strings.Join(args, " "))
		return out
	}
	describe := func(name string) streamView {
		t.Helper()
		var v streamView
		require.NoError(t, json.Unmarshal([]byte(must("describe", name, "--json")), &v))
		return v
	}

	arn := must("create", "cam-1", "--retention", "2d", "--media-type", "video/h264", "--tag", "site=lab", "--tag", "floor=2")
	require.True(t, strings.HasPrefix(arn, "arn:aws:kinesisvideo:"), arn)
	must("create", "cam-2", "--retention", "0")
	must("create", "other", "--wait=false")

	v := describe("cam-1")
	require.Equal(t, "ACTIVE", v.Status)
	require.EqualValues(t, 48, v.DataRetentionInHours)
	require.Equal(t, "video/h264", v.MediaType)
	require.Equal(t, strings.TrimSpace(arn), v.StreamARN)
	require.Contains(t, must("describe", "cam-2"), "none (live only)")

	var listed []streamView
	require.NoError(t, json.Unmarshal([]byte(must("list", "--prefix", "cam-", "--json")), &listed))
	require.Len(t, listed, 2)
	require.Equal(t, "cam-1", listed[0].StreamName)
	table := must("list")
	require.Equal(t, 4, strings.Count(table, "\n"), table) // header and 3 streams

	must("update", "cam-1", "--media-type", "video/h265", "--device-name", "door")
	v2 := describe("cam-1")
	require.Equal(t, "video/h265", v2.MediaType)
	require.Equal(t, "door", v2.DeviceName)
	require.NotEqual(t, v.Version, v2.Version)

	require.Equal(t, "floor=2\nsite=lab\n", must("tag", "cam-1"))
	must("tag", "cam-1", "owner=ops", "--remove", "floor")
	require.Equal(t, "owner=ops\nsite=lab\n", must("tag", "cam-1"))

	require.Contains(t, must("retention", "cam-1", "72"), "keeps 72h (was 48h)")
	require.EqualValues(t, 72, describe("cam-1").DataRetentionInHours)
	require.Contains(t, must("retention", "cam-1", "1d"), "keeps 24h (was 72h)")
	require.EqualValues(t, 24, describe("cam-1").DataRetentionInHours)

	must("delete", "cam-1")
	_, err := kvsctl("describe", "cam-1")
	require.ErrorContains(t, err, "cam-1")
	require.ErrorContains(t, err, "not found")

	// Bad input is refused before any call, with the fix in the message.
	_, err = kvsctl("create", "x", "--retention", "forever")
	require.ErrorContains(t, err, "want whole hours")
	_, err = kvsctl("tag", "cam-2", "novalue")
	require.ErrorContains(t, err, "KEY=VALUE")
	_, err = kvsctl("update", "cam-2")
	require.ErrorContains(t, err, "nothing to change")
	// The service's own validation comes back as one line.
	_, err = kvsctl("create", "bad name!")
	require.Error(t, err)
	require.NotContains(t, err.Error(), "\n")
}
