package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// syncBuffer is a bytes.Buffer safe for the server's and the test's
// goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var readyURL = regexp.MustCompile(`msg="kvsd ready" url=(\S+)`)

// startRun runs kvsd's run() in the background and waits for it to be ready.
func startRun(t *testing.T, args ...string) (url string, stdout *syncBuffer, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, stdout, stderr) }()
	require.Eventually(t, func() bool {
		select {
		case err := <-done:
			t.Fatalf("kvsd exited early: %v\n%s", err, stderr.String())
		default:
		}
		m := readyURL.FindStringSubmatch(stderr.String())
		if m != nil {
			url = m[1]
		}
		return m != nil
	}, 10*time.Second, 5*time.Millisecond)
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() { cancel(); err = <-done })
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return url, stdout, stop
}

func TestRunServesAndShutsDown(t *testing.T) {
	dir := t.TempDir()
	url, stdout, stop := startRun(t, "-listen", "127.0.0.1:0", "-data-dir", dir)
	require.Regexp(t, `^http://127\.0\.0\.1:\d+$`, url)
	require.Contains(t, stdout.String(), "AWS_ACCESS_KEY_ID=AKIA", "generated credentials are shown")

	resp, err := http.Post(url+"/describeStream", "application/json", strings.NewReader("{}"))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "unsigned requests are refused")
	require.Equal(t, "MissingAuthenticationTokenException", resp.Header.Get("x-amzn-ErrorType"))

	require.NoError(t, stop(), "graceful shutdown")
	_, err = http.Post(url+"/describeStream", "application/json", strings.NewReader("{}"))
	require.Error(t, err, "the port is closed after shutdown")

	// The second start reuses the stored credentials and prints nothing.
	_, stdout, stop = startRun(t, "-listen", "127.0.0.1:0", "-data-dir", dir)
	require.Empty(t, stdout.String())
	require.NoError(t, stop())
}

func TestRunRefusesSharedDataDir(t *testing.T) {
	dir := t.TempDir()
	_, _, stop := startRun(t, "-listen", "127.0.0.1:0", "-data-dir", dir)
	err := run(context.Background(), []string{"-listen", "127.0.0.1:0", "-data-dir", dir}, &syncBuffer{}, &syncBuffer{})
	require.ErrorContains(t, err, "in use by another kvsd")
	require.NoError(t, stop())
}

func TestRunSelfSignedTLS(t *testing.T) {
	dir := t.TempDir()
	url, _, stop := startRun(t, "-listen", "127.0.0.1:0", "-data-dir", dir, "-tls-self-signed")
	require.Regexp(t, `^https://127\.0\.0\.1:\d+$`, url)
	pem, err := os.ReadFile(filepath.Join(dir, "tls", "cert.pem"))
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pem))
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Post(url+"/listStreams", "application/json", strings.NewReader("{}"))
	require.NoError(t, err, "the generated certificate verifies for 127.0.0.1")
	resp.Body.Close()
	require.Equal(t, "MissingAuthenticationTokenException", resp.Header.Get("x-amzn-ErrorType"))
	require.NoError(t, stop())
}

func TestRunConfigErrors(t *testing.T) {
	var stderr syncBuffer
	err := run(context.Background(), []string{"-region", "nowhere", "-listen", "x"}, &syncBuffer{}, &stderr)
	require.ErrorContains(t, err, `region "nowhere"`)
	require.ErrorContains(t, err, `listen "x"`)

	err = run(context.Background(), []string{"-h"}, &syncBuffer{}, &stderr)
	require.True(t, errors.Is(err, flag.ErrHelp))
	require.Contains(t, stderr.String(), "-data-dir")

	err = run(context.Background(), []string{"-listen", "127.0.0.1:1", "-data-dir", "/proc/forbidden"}, &syncBuffer{}, &syncBuffer{})
	require.ErrorContains(t, err, "create data dir")
}
