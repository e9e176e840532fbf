package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/config"
	"github.com/openkvs/openkvs/internal/kvsdtest"
)

// requireRawError checks an error answer as the AWS CLI and boto3 read it:
// the name from x-amzn-ErrorType, the text from the body's "message".
func requireRawError(t *testing.T, r kvsdtest.Response, code string, status int) {
	t.Helper()
	require.Equal(t, status, r.Status, r.Body)
	require.Equal(t, code, r.Header.Get("x-amzn-ErrorType"), r.Body)
	require.NotEmpty(t, r.Header.Get("x-amzn-RequestId"))
	var body struct {
		Message string `json:"message"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.Body), &body), r.Body)
	require.NotEmpty(t, body.Message)
}

// TestRequiredMembers covers what the Go SDK would refuse client-side; the
// AWS CLI and other SDKs send such requests, so the server checks them too.
func TestRequiredMembers(t *testing.T) {
	srv := kvsdtest.Start(t)
	require.Equal(t, 200, srv.Post(t, "/createStream", `{"StreamName":"s"}`).Status)
	tests := []struct {
		path, body, code string
	}{
		{"/createStream", `{}`, "InvalidArgumentException"},
		{"/createStream", ``, "InvalidArgumentException"},
		{"/updateStream", `{"StreamName":"s"}`, "InvalidArgumentException"},
		{"/deleteStream", `{}`, "InvalidArgumentException"},
		{"/deleteStream", `{"StreamName":"s"}`, "InvalidArgumentException"},
		{"/tagStream", `{"StreamName":"s"}`, "InvalidArgumentException"},
		{"/tagStream", `{"StreamName":"s","Tags":{}}`, "InvalidArgumentException"},
		{"/untagStream", `{"StreamName":"s"}`, "InvalidArgumentException"},
		{"/TagResource", `{"ResourceARN":"arn:aws:kinesisvideo:us-east-1:000000000000:stream/s/1"}`, "InvalidArgumentException"},
		{"/TagResource", `{"Tags":[{"Key":"a","Value":"b"}]}`, "InvalidArgumentException"},
		{"/UntagResource", `{"TagKeyList":["a"]}`, "InvalidArgumentException"},
		{"/ListTagsForResource", `{}`, "InvalidArgumentException"},
		{"/getDataEndpoint", `{"StreamName":"s"}`, "InvalidArgumentException"},
		{"/updateDataRetention", `{"StreamName":"s","CurrentVersion":"v","Operation":"INCREASE_DATA_RETENTION"}`, "InvalidArgumentException"},
		{"/updateDataRetention", `{"StreamName":"s","CurrentVersion":"v","DataRetentionChangeInHours":1}`, "InvalidArgumentException"},
		{"/createStream", `{"StreamName":"x","StreamStorageConfiguration":{}}`, "InvalidArgumentException"},
		// Wrong JSON types and broken JSON.
		{"/createStream", `{"StreamName":"x","DataRetentionInHours":"24"}`, "SerializationException"},
		{"/createStream", `{"StreamName":"x","DataRetentionInHours":1.5}`, "SerializationException"},
		{"/createStream", `{"StreamName":["x"]}`, "SerializationException"},
		{"/createStream", `{"StreamName":"x"`, "SerializationException"},
		{"/createStream", `{"StreamName":"x"} {}`, "SerializationException"},
		{"/TagResource", `{"ResourceARN":"arn:aws:kinesisvideo:us-east-1:000000000000:stream/s/1","Tags":{"a":"b"}}`, "SerializationException"},
	}
	for _, tc := range tests {
		t.Run(tc.path+" "+tc.body, func(t *testing.T) {
			requireRawError(t, srv.Post(t, tc.path, tc.body), tc.code, http.StatusBadRequest)
		})
	}
}

func TestRouting(t *testing.T) {
	srv := kvsdtest.Start(t)
	// Paths are case-sensitive.
	requireRawError(t, srv.Post(t, "/CreateStream", `{}`), "UnknownOperationException", http.StatusNotFound)
	requireRawError(t, srv.Post(t, "/tagResource", `{}`), "UnknownOperationException", http.StatusNotFound)
	requireRawError(t, srv.Post(t, "/nope", `{}`), "UnknownOperationException", http.StatusNotFound)
	requireRawError(t, srv.Do(t, http.MethodGet, "/describeStream", "", kvsdtest.DefaultSigning(), nil), "UnknownOperationException", http.StatusNotFound)
	// Known operations that later work will implement answer clearly.
	for _, p := range []string{"/createSignalingChannel", "/getImages", "/getSignalingChannelEndpoint", "/v1/get-ice-server-config", "/joinStorageSession"} {
		requireRawError(t, srv.Post(t, p, `{}`), "NotImplementedException", http.StatusNotImplemented)
	}
	// Actions without output answer 200 with an empty body.
	r := srv.Post(t, "/createStream", `{"StreamName":"s","Tags":{"a":"b"}}`)
	require.Equal(t, 200, r.Status)
	require.Equal(t, "application/json", r.Header.Get("Content-Type"))
	r = srv.Post(t, "/untagStream", `{"StreamName":"s","TagKeyList":["a"]}`)
	require.Equal(t, 200, r.Status)
	require.Empty(t, r.Body)
}

func TestBodyLimit(t *testing.T) {
	srv := kvsdtest.Start(t)
	big := `{"StreamName":"x","DeviceName":"` + strings.Repeat("a", 2<<20) + `"}`
	requireRawError(t, srv.Post(t, "/createStream", big), "RequestEntityTooLargeException", http.StatusRequestEntityTooLarge)
}

func TestCORS(t *testing.T) {
	srv := kvsdtest.Start(t)
	r := srv.Do(t, http.MethodOptions, "/describeStream", "", kvsdtest.Signing{Unsigned: true}, func(req *http.Request) {
		req.Header.Set("Origin", "http://console.example")
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization,content-type,x-amz-date")
	})
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, "*", r.Header.Get("Access-Control-Allow-Origin"))
	require.Contains(t, r.Header.Get("Access-Control-Allow-Methods"), "POST")
	require.Equal(t, "authorization,content-type,x-amz-date", r.Header.Get("Access-Control-Allow-Headers"))

	r = srv.Do(t, http.MethodPost, "/describeStream", `{"StreamName":"x"}`, kvsdtest.DefaultSigning(), func(req *http.Request) {
		req.Header.Set("Origin", "http://console.example")
	})
	require.Equal(t, http.StatusNotFound, r.Status)
	require.Equal(t, "*", r.Header.Get("Access-Control-Allow-Origin"))
	require.Contains(t, r.Header.Get("Access-Control-Expose-Headers"), "x-amzn-ErrorType")
}

// TestSigV4OverTheWire sends signed requests through a real connection and
// checks what kvsd answers for each kind of bad signature.
func TestSigV4OverTheWire(t *testing.T) {
	srv := kvsdtest.Start(t)
	body := `{"StreamName":"sig"}`
	ok := kvsdtest.DefaultSigning()
	with := func(f func(*kvsdtest.Signing)) kvsdtest.Signing { s := kvsdtest.DefaultSigning(); f(&s); return s }
	tests := []struct {
		name   string
		sign   kvsdtest.Signing
		mutate func(*http.Request)
		code   string
		status int
	}{
		{"tampered body", ok, func(r *http.Request) {
			r.Body = http.NoBody
			r.ContentLength = 0
		}, "InvalidSignatureException", 403},
		{"tampered header", ok, func(r *http.Request) {
			r.Header.Set("X-Amz-Date", time.Now().Add(time.Second).UTC().Format("20060102T150405Z"))
		}, "InvalidSignatureException", 403},
		{"tampered content type", ok, func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }, "InvalidSignatureException", 403},
		{"wrong secret", with(func(s *kvsdtest.Signing) { s.SecretAccessKey = "wrong" }), nil, "InvalidSignatureException", 403},
		{"unknown key", with(func(s *kvsdtest.Signing) { s.AccessKeyID = "AKIAUNKNOWN000000000" }), nil, "UnrecognizedClientException", 403},
		{"skewed 16 minutes", with(func(s *kvsdtest.Signing) { s.At = time.Now().Add(-16 * time.Minute) }), nil, "InvalidSignatureException", 403},
		{"future 16 minutes", with(func(s *kvsdtest.Signing) { s.At = time.Now().Add(16 * time.Minute) }), nil, "InvalidSignatureException", 403},
		{"wrong region", with(func(s *kvsdtest.Signing) { s.Region = "us-west-2" }), nil, "InvalidSignatureException", 403},
		{"wrong service", with(func(s *kvsdtest.Signing) { s.Service = "kinesis" }), nil, "InvalidSignatureException", 403},
		{"unsigned", kvsdtest.Signing{Unsigned: true}, nil, "MissingAuthenticationTokenException", 403},
		{"malformed authorization", ok, func(r *http.Request) { r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=x") }, "IncompleteSignatureException", 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			requireRawError(t, srv.Do(t, http.MethodPost, "/describeStream", body, tc.sign, tc.mutate), tc.code, tc.status)
		})
	}
	// The valid request passes auth and reaches the action.
	requireRawError(t, srv.Do(t, http.MethodPost, "/describeStream", body, ok, nil), "ResourceNotFoundException", 404)
}

func TestPresignedOverTheWire(t *testing.T) {
	srv := kvsdtest.Start(t)
	body := `{"StreamName":"nope"}`
	presign := func(at time.Time, expires int) string {
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/describeStream?X-Amz-Expires="+strconv.Itoa(expires), strings.NewReader(body))
		require.NoError(t, err)
		sum := sha256.Sum256([]byte(body))
		u, _, err := v4.NewSigner().PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: kvsdtest.AccessKeyID, SecretAccessKey: kvsdtest.SecretAccessKey},
			req, hex.EncodeToString(sum[:]), "kinesisvideo", kvsdtest.Region, at)
		require.NoError(t, err)
		return strings.TrimPrefix(u, srv.URL)
	}
	unsigned := kvsdtest.Signing{Unsigned: true}
	// A valid presigned request passes authentication and reaches the action.
	requireRawError(t, srv.Do(t, http.MethodPost, presign(time.Now(), 300), body, unsigned, nil), "ResourceNotFoundException", 404)
	requireRawError(t, srv.Do(t, http.MethodPost, presign(time.Now().Add(-10*time.Minute), 60), body, unsigned, nil), "RequestExpired", 400)
	requireRawError(t, srv.Do(t, http.MethodPost, presign(time.Now(), 300), `{"StreamName":"other"}`, unsigned, nil), "InvalidSignatureException", 403)
}

func TestAuthNoneAcceptsAnyCredentials(t *testing.T) {
	srv := kvsdtest.Start(t, func(c *config.Config) { c.Auth = config.AuthNone })
	anyKey := kvsdtest.Signing{AccessKeyID: "AKIAANYONE0000000000", SecretAccessKey: "anything", Region: kvsdtest.Region, Service: "kinesisvideo", At: time.Now()}
	r := srv.Do(t, http.MethodPost, "/createStream", `{"StreamName":"dev"}`, anyKey, nil)
	require.Equal(t, 200, r.Status, r.Body)
	requireRawError(t, srv.Do(t, http.MethodPost, "/describeStream", `{"StreamName":"dev"}`, kvsdtest.Signing{Unsigned: true}, nil),
		"MissingAuthenticationTokenException", 403)
	wrongRegion := anyKey
	wrongRegion.Region = "eu-west-1"
	requireRawError(t, srv.Do(t, http.MethodPost, "/describeStream", `{"StreamName":"dev"}`, wrongRegion, nil), "InvalidSignatureException", 403)
}
