package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/stretchr/testify/require"
)

const (
	testKey    = "AKIDEXAMPLE"
	testSecret = "secret"
)

func secrets(id string) (string, bool) {
	if id == testKey {
		return testSecret, true
	}
	return "", false
}

func newVerifier(now time.Time) *Verifier {
	return &Verifier{Region: "us-east-1", Service: "kinesisvideo", Secrets: secrets, MaxSkew: 15 * time.Minute,
		Now: func() time.Time { return now }}
}

// recorded is one request captured from a real AWS client (see
// shared/fixtures/wire/README.md).
type recorded struct {
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

func (rec recorded) request(t *testing.T) (*http.Request, time.Time) {
	r := httptest.NewRequest(rec.Method, rec.Path, strings.NewReader(rec.Body))
	r.Header = http.Header{}
	for k, v := range rec.Headers {
		if strings.EqualFold(k, "host") {
			r.Host = v
			continue
		}
		r.Header.Add(k, v)
	}
	at, err := time.Parse(timeFormat, r.Header.Get("X-Amz-Date"))
	require.NoError(t, err)
	return r, at
}

// TestVerifyRecordedClients checks every request that the AWS CLI v1/v2 and
// boto3 sent, with the secret they signed with, and the same requests with
// their body tampered.
func TestVerifyRecordedClients(t *testing.T) {
	root := filepath.Join("..", "..", "..", "shared", "fixtures", "wire")
	var files []string
	for _, dir := range []string{"awscli", "boto3", "extra-clients"} {
		require.NoError(t, filepath.WalkDir(filepath.Join(root, dir), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json") && strings.Contains(p, "kinesis") {
				files = append(files, p)
			}
			return err
		}))
	}
	require.Greater(t, len(files), 150, "fixtures missing")
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		var rec recorded
		require.NoError(t, json.Unmarshal(b, &rec))
		t.Run(strings.TrimPrefix(f, root), func(t *testing.T) {
			r, at := rec.request(t)
			_, err := newVerifier(at.Add(time.Minute)).Verify(r, PayloadHash([]byte(rec.Body)))
			require.NoError(t, err)

			_, err = newVerifier(at).Verify(r, PayloadHash([]byte(rec.Body+" ")))
			require.ErrorIs(t, err, ErrSignatureMismatch)
		})
	}
}

func sdkSigned(t *testing.T, body string, signedAt time.Time, key, secret, region, service string, mutate func(*http.Request)) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:4566/describeStream", strings.NewReader(body))
	r.Header = http.Header{"Content-Type": {"application/json"}}
	if mutate != nil {
		mutate(r)
	}
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: key, SecretAccessKey: secret, SessionToken: "tok"},
		r, PayloadHash([]byte(body)), service, region, signedAt)
	require.NoError(t, err)
	return r
}

func TestVerifySDKSignedRequests(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	body := `{"StreamName":"s1"}`
	tests := []struct {
		name    string
		req     func() *http.Request
		hash    string
		wantErr error
	}{
		{"valid", func() *http.Request {
			return sdkSigned(t, body, now, testKey, testSecret, "us-east-1", "kinesisvideo", nil)
		}, PayloadHash([]byte(body)), nil},
		{"valid at 14m59s skew", func() *http.Request {
			return sdkSigned(t, body, now.Add(-14*time.Minute-59*time.Second), testKey, testSecret, "us-east-1", "kinesisvideo", nil)
		}, PayloadHash([]byte(body)), nil},
		{"host without port", func() *http.Request {
			return sdkSigned(t, body, now, testKey, testSecret, "us-east-1", "kinesisvideo", func(r *http.Request) { r.Host = "127.0.0.1" })
		}, PayloadHash([]byte(body)), nil},
		{"tampered body", func() *http.Request {
			return sdkSigned(t, body, now, testKey, testSecret, "us-east-1", "kinesisvideo", nil)
		}, PayloadHash([]byte(`{"StreamName":"s2"}`)), ErrSignatureMismatch},
		{"tampered header", func() *http.Request {
			r := sdkSigned(t, body, now, testKey, testSecret, "us-east-1", "kinesisvideo", nil)
			r.Header.Set("Content-Type", "application/x-amz-json-1.1")
			return r
		}, PayloadHash([]byte(body)), ErrSignatureMismatch},
		{"tampered host", func() *http.Request {
			r := sdkSigned(t, body, now, testKey, testSecret, "us-east-1", "kinesisvideo", nil)
			r.Host = "127.0.0.1:4567"
			return r
		}, PayloadHash([]byte(body)), ErrSignatureMismatch},
		{"wrong secret", func() *http.Request {
			return sdkSigned(t, body, now, testKey, "nope", "us-east-1", "kinesisvideo", nil)
		}, PayloadHash([]byte(body)), ErrSignatureMismatch},
		{"unknown key", func() *http.Request {
			return sdkSigned(t, body, now, "AKIAUNKNOWN", testSecret, "us-east-1", "kinesisvideo", nil)
		}, PayloadHash([]byte(body)), ErrUnknownKey},
		{"date 16 minutes old", func() *http.Request {
			return sdkSigned(t, body, now.Add(-16*time.Minute), testKey, testSecret, "us-east-1", "kinesisvideo", nil)
		}, PayloadHash([]byte(body)), ErrSignatureMismatch},
		{"date 16 minutes ahead", func() *http.Request {
			return sdkSigned(t, body, now.Add(16*time.Minute), testKey, testSecret, "us-east-1", "kinesisvideo", nil)
		}, PayloadHash([]byte(body)), ErrSignatureMismatch},
		{"wrong region", func() *http.Request {
			return sdkSigned(t, body, now, testKey, testSecret, "eu-west-1", "kinesisvideo", nil)
		}, PayloadHash([]byte(body)), ErrSignatureMismatch},
		{"wrong service", func() *http.Request { return sdkSigned(t, body, now, testKey, testSecret, "us-east-1", "kinesis", nil) }, PayloadHash([]byte(body)), ErrSignatureMismatch},
		{"no authentication", func() *http.Request {
			return httptest.NewRequest(http.MethodPost, "/describeStream", strings.NewReader(body))
		}, PayloadHash([]byte(body)), ErrMissingAuth},
		{"authorization without signature", func() *http.Request {
			r := sdkSigned(t, body, now, testKey, testSecret, "us-east-1", "kinesisvideo", nil)
			h := r.Header.Get("Authorization")
			r.Header.Set("Authorization", h[:strings.Index(h, ", Signature=")])
			return r
		}, PayloadHash([]byte(body)), ErrIncompleteSignature},
		{"unsupported algorithm", func() *http.Request {
			r := sdkSigned(t, body, now, testKey, testSecret, "us-east-1", "kinesisvideo", nil)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1", 1))
			return r
		}, PayloadHash([]byte(body)), ErrIncompleteSignature},
		{"malformed credential", func() *http.Request {
			r := sdkSigned(t, body, now, testKey, testSecret, "us-east-1", "kinesisvideo", nil)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/aws4_request", "", 1))
			return r
		}, PayloadHash([]byte(body)), ErrIncompleteSignature},
		{"host not signed", func() *http.Request {
			r := sdkSigned(t, body, now, testKey, testSecret, "us-east-1", "kinesisvideo", nil)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "host;", "", 1))
			return r
		}, PayloadHash([]byte(body)), ErrIncompleteSignature},
		{"content-sha256 header lies about the body", func() *http.Request {
			return sdkSigned(t, body, now, testKey, testSecret, "us-east-1", "kinesisvideo", func(r *http.Request) {
				r.Header.Set("X-Amz-Content-Sha256", PayloadHash([]byte("other")))
			})
		}, PayloadHash([]byte(body)), ErrSignatureMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, err := newVerifier(now).Verify(tc.req(), tc.hash)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				require.NotEmpty(t, err.Error())
				return
			}
			require.NoError(t, err)
			require.Equal(t, testKey, id.AccessKeyID)
			require.Equal(t, "tok", id.SecurityToken, "session tokens are accepted")
		})
	}
}

func presigned(t *testing.T, signedAt time.Time, expiresSeconds int) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:4566/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=abc&X-Amz-Expires="+
		strconv.Itoa(expiresSeconds), nil)
	u, _, err := v4.NewSigner().PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: testKey, SecretAccessKey: testSecret},
		r, EmptyPayloadHash, "kinesisvideo", "us-east-1", signedAt)
	require.NoError(t, err)
	return httptest.NewRequest(http.MethodGet, u, nil)
}

func TestVerifyPresigned(t *testing.T) {
	signed := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	r := presigned(t, signed, 300)
	_, err := newVerifier(signed.Add(299*time.Second)).Verify(r, EmptyPayloadHash)
	require.NoError(t, err)

	_, err = newVerifier(signed.Add(301*time.Second)).Verify(r, EmptyPayloadHash)
	require.ErrorIs(t, err, ErrRequestExpired)

	tampered := httptest.NewRequest(http.MethodGet, strings.Replace(r.URL.String(), "SessionToken=abc", "SessionToken=abd", 1), nil)
	_, err = newVerifier(signed).Verify(tampered, EmptyPayloadHash)
	require.ErrorIs(t, err, ErrSignatureMismatch)
}

func TestModeNoneAcceptsAnyKeyButNotGarbage(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	v := newVerifier(now)
	v.Mode = ModeNone
	_, err := v.Verify(sdkSigned(t, "{}", now, "AKIAANYTHING", "whatever", "us-east-1", "kinesisvideo", nil), PayloadHash([]byte("{}")))
	require.NoError(t, err)
	_, err = v.Verify(httptest.NewRequest(http.MethodPost, "/describeStream", nil), EmptyPayloadHash)
	require.ErrorIs(t, err, ErrMissingAuth)
}

func TestStreamedBodyIsSignedEmpty(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/putMedia", bytes.NewReader([]byte("mkv bytes")))
	r.Header = http.Header{"X-Amzn-Stream-Name": {"s"}}
	require.NoError(t, v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: testKey, SecretAccessKey: testSecret},
		r, EmptyPayloadHash, "kinesisvideo", "us-east-1", now))
	_, err := newVerifier(now).Verify(r, "")
	require.NoError(t, err)
}

func TestLoadOrCreateRoot(t *testing.T) {
	dir := t.TempDir()
	c1, created, err := LoadOrCreateRoot(dir)
	require.NoError(t, err)
	require.True(t, created)
	require.Len(t, c1.AccessKeyID, 20)
	require.Len(t, c1.SecretAccessKey, 40)
	st, err := os.Stat(filepath.Join(dir, credentialsFile))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	c2, created, err := LoadOrCreateRoot(dir)
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, c1, c2)

	require.NoError(t, os.WriteFile(filepath.Join(dir, credentialsFile), []byte("{}"), 0o600))
	_, _, err = LoadOrCreateRoot(dir)
	require.Error(t, err)
	require.False(t, errors.Is(err, os.ErrNotExist))
}

// TestSigningKeyCacheFollowsSecret checks that a cached signing key is not
// used once the access key's secret changed.
func TestSigningKeyCacheFollowsSecret(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	secret := testSecret
	v := newVerifier(now)
	v.Secrets = func(id string) (string, bool) { return secret, id == testKey }
	body := `{}`
	_, err := v.Verify(sdkSigned(t, body, now, testKey, testSecret, "us-east-1", "kinesisvideo", nil), PayloadHash([]byte(body)))
	require.NoError(t, err)
	secret = "rotated"
	_, err = v.Verify(sdkSigned(t, body, now, testKey, testSecret, "us-east-1", "kinesisvideo", nil), PayloadHash([]byte(body)))
	require.ErrorIs(t, err, ErrSignatureMismatch)
	_, err = v.Verify(sdkSigned(t, body, now, testKey, "rotated", "us-east-1", "kinesisvideo", nil), PayloadHash([]byte(body)))
	require.NoError(t, err)
}
