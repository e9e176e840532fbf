package kvsdtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Signing says how Do signs a raw request.
type Signing struct {
	AccessKeyID, SecretAccessKey, Region, Service string
	At                                            time.Time
	// Unsigned sends no Authorization at all.
	Unsigned bool
}

// DefaultSigning signs with the root credentials, now.
func DefaultSigning() Signing {
	return Signing{AccessKeyID: AccessKeyID, SecretAccessKey: SecretAccessKey, Region: Region, Service: "kinesisvideo", At: time.Now()}
}

// Response is a raw answer.
type Response struct {
	Status int
	Header http.Header
	Body   string
}

// Open sends body to path with the SDK's SigV4 signer, as an SDK would,
// but without the SDK's client-side validation, so that the server's own
// checks are what the test sees. mutate, if not nil, runs after signing.
// The caller reads and closes the streaming response.
func (s *Server) Open(t testing.TB, method, path, body string, sign Signing, mutate func(*http.Request)) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if !sign.Unsigned {
		sum := sha256.Sum256([]byte(body))
		err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: sign.AccessKeyID, SecretAccessKey: sign.SecretAccessKey},
			req, hex.EncodeToString(sum[:]), sign.Service, sign.Region, sign.At)
		if err != nil {
			t.Fatal(err)
		}
	}
	if mutate != nil {
		mutate(req)
	}
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// Do is Open that reads the whole response.
func (s *Server) Do(t testing.TB, method, path, body string, sign Signing, mutate func(*http.Request)) Response {
	t.Helper()
	resp := s.Open(t, method, path, body, sign, mutate)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}

// Post is Do with POST and default signing.
func (s *Server) Post(t testing.TB, path, body string) Response {
	t.Helper()
	return s.Do(t, http.MethodPost, path, body, DefaultSigning(), nil)
}
