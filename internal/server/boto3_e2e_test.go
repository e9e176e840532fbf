package server_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/kvsdtest"
)

// TestGetMediaWithBoto3 reads a stream with Debian's boto3 (installed by
// .ci/run): GetDataEndpoint, GetMedia to the end, and a modeled error.
func TestGetMediaWithBoto3(t *testing.T) {
	srv := kvsdtest.Start(t)
	createStream(t, srv, "boto", 1)
	ingestClusters(t, srv, "boto", 3)
	script, err := filepath.Abs(filepath.Join("..", "..", "scripts", "boto3-getmedia.py"))
	require.NoError(t, err)
	out := filepath.Join(t.TempDir(), "out.mkv")
	cmd := exec.Command("/usr/bin/python3", script, out)
	cmd.Env = append(os.Environ(), "ENDPOINT="+srv.URL, "STREAM=boto",
		"AWS_ACCESS_KEY_ID="+kvsdtest.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+kvsdtest.SecretAccessKey,
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	msg, err := cmd.CombinedOutput()
	require.NoError(t, err, string(msg))
	require.Contains(t, string(msg), "ResourceNotFoundException 404")
	require.True(t, strings.HasPrefix(string(msg), "video/webm "), string(msg))
	body, err := os.ReadFile(out)
	require.NoError(t, err)
	chunks := readChunks(t, body)
	require.Len(t, chunks, 3)
	for _, ch := range chunks {
		require.Equal(t, 3, ch.frames)
	}
}
