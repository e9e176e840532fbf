package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// signingName is the SigV4 service name of every Kinesis Video Streams API.
const signingName = "kinesisvideo"

// emptyPayloadHash is the SHA-256 of the empty string. The KVS producer
// SDKs sign PutMedia with it: the streamed body is not signed.
const emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// userAgent identifies kvsctl in requests.
const userAgent = "openkvs-kvsctl/0"

// requester signs and sends KVS requests.
type requester struct {
	aws      awsSettings
	signer   *v4.Signer
	http     *http.Client
	insecure bool // --no-verify-ssl
}

// newTransport returns an HTTP/1.1 transport. KVS PutMedia is HTTP/1.1
// only, and control-plane calls gain nothing from HTTP/2 here.
func newTransport(insecure bool) *http.Transport {
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       30 * time.Second,
		DisableCompression:    true,
		TLSNextProto:          map[string]func(string, *tls.Conn) http.RoundTripper{},
		ExpectContinueTimeout: time.Second,
	}
	if insecure {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // --no-verify-ssl asked for it
	}
	return tr
}

func newRequester(s awsSettings, insecure bool) *requester {
	return &requester{aws: s, signer: v4.NewSigner(), http: &http.Client{Transport: newTransport(insecure), Timeout: 30 * time.Second}, insecure: insecure}
}

// close releases idle connections.
func (r *requester) close() { r.http.CloseIdleConnections() }

// sign signs req with SigV4 for the kinesisvideo service and payloadHash.
func (r *requester) sign(ctx context.Context, req *http.Request, payloadHash string) error {
	creds, err := r.aws.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("get credentials: %w", err)
	}
	req.Header.Set("User-Agent", userAgent)
	if err := r.signer.SignHTTP(ctx, creds, req, payloadHash, signingName, r.aws.Region, time.Now()); err != nil {
		return fmt.Errorf("sign request: %w", err)
	}
	return nil
}

// apiError is an error answer of a KVS API (the x-amzn-ErrorType name and
// the message of the JSON body).
type apiError struct {
	Op      string
	Status  int
	Name    string
	Message string
}

func (e *apiError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	s := fmt.Sprintf("%s: %s (HTTP %d): %s", e.Op, e.Name, e.Status, msg)
	if e.authFailure() {
		s += " (check the credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, --profile, --region)"
	}
	return s
}

// authFailure reports whether the error means the credentials or the
// signature were rejected.
func (e *apiError) authFailure() bool {
	switch e.Name {
	case "UnrecognizedClientException", "InvalidSignatureException", "IncompleteSignatureException",
		"MissingAuthenticationTokenException", "SignatureDoesNotMatch", "InvalidClientTokenId",
		"AccessDeniedException", "RequestExpired", "ExpiredTokenException":
		return true
	}
	return false
}

// readAPIError turns a non-2xx answer into an apiError.
func readAPIError(op string, resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	e := &apiError{Op: op, Status: resp.StatusCode}
	// x-amzn-ErrorType may carry a suffix: "ResourceNotFoundException:http://...".
	name, _, _ := strings.Cut(resp.Header.Get("x-amzn-ErrorType"), ":")
	var doc struct {
		Type     string `json:"__type"`
		Message  string `json:"message"`
		Message2 string `json:"Message"`
	}
	jsonErr := json.Unmarshal(body, &doc)
	if name == "" && doc.Type != "" {
		name = doc.Type // "Name" or "namespace#Name"
		if i := strings.LastIndexByte(name, '#'); i >= 0 {
			name = name[i+1:]
		}
	}
	e.Name, e.Message = name, firstNonEmpty(doc.Message, doc.Message2)
	if e.Name == "" {
		// Not a KVS answer: some other server listens at the endpoint.
		e.Name = "UnexpectedResponse"
		if jsonErr != nil || e.Message == "" {
			snippet := strings.Join(strings.Fields(string(body)), " ")
			if len(snippet) > 120 {
				snippet = snippet[:120] + "..."
			}
			e.Message = fmt.Sprintf("not a KVS error answer (is the endpoint right?): %q", snippet)
		}
	}
	return e
}

// transportError rewrites a failed round trip into one line that names the
// endpoint.
func transportError(op, endpoint string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s: %w", op, err)
	}
	return fmt.Errorf("%s: cannot reach %s (check --endpoint-url): %w", op, endpoint, err)
}

// call POSTs the JSON in to the control-plane path and decodes the answer
// into out (when not nil).
func (r *requester) call(ctx context.Context, op, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("%s: encode request: %w", op, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.aws.Endpoint+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	req.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256(body)
	if err := r.sign(ctx, req, hex.EncodeToString(sum[:])); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	resp, err := r.http.Do(req)
	if err != nil {
		return transportError(op, r.aws.Endpoint, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return readAPIError(op, resp)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return transportError(op, r.aws.Endpoint, err)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s: decode answer: %w", op, err)
		}
	}
	return nil
}

// streamInfo holds the StreamInfo fields kvsctl reads.
type streamInfo struct {
	StreamName           string
	StreamARN            string
	Status               string
	DataRetentionInHours int
}

// createStream calls CreateStream
// (https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/API_CreateStream.html).
func (r *requester) createStream(ctx context.Context, name, mediaType string, retentionHours int) (string, error) {
	in := struct {
		StreamName           string
		MediaType            string `json:",omitempty"`
		DataRetentionInHours int
	}{name, mediaType, retentionHours}
	var out struct{ StreamARN string }
	err := r.call(ctx, "CreateStream "+name, "/createStream", in, &out)
	return out.StreamARN, err
}

// describeStream calls DescribeStream
// (https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/API_DescribeStream.html).
func (r *requester) describeStream(ctx context.Context, name string) (streamInfo, error) {
	var out struct{ StreamInfo streamInfo }
	err := r.call(ctx, "DescribeStream "+name, "/describeStream", struct{ StreamName string }{name}, &out)
	return out.StreamInfo, err
}

// getDataEndpoint calls GetDataEndpoint
// (https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/API_GetDataEndpoint.html).
func (r *requester) getDataEndpoint(ctx context.Context, stream, apiName string) (string, error) {
	in := struct{ StreamName, APIName string }{stream, apiName}
	var out struct{ DataEndpoint string }
	op := "GetDataEndpoint " + stream
	if err := r.call(ctx, op, "/getDataEndpoint", in, &out); err != nil {
		return "", err
	}
	ep, err := checkEndpoint(out.DataEndpoint)
	if err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	return ep, nil
}

// isAPIError reports whether err is an apiError with the given name.
func isAPIError(err error, name string) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.Name == name
}
