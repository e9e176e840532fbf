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

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo/types"
)

// signingName is the SigV4 service name of every Kinesis Video Streams API.
const signingName = "kinesisvideo"

// emptyPayloadHash is the SHA-256 of the empty string. The KVS producer
// SDKs sign PutMedia with it: the streamed body is not signed.
const emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// userAgent identifies kvsctl in requests.
const userAgent = "openkvs-kvsctl/0"

// requester sends KVS requests: control-plane calls through the
// aws-sdk-go-v2 kinesisvideo client, data-plane calls (which have no Go
// client) signed by hand with the same credentials.
type requester struct {
	aws      awsSettings
	kv       *kinesisvideo.Client
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
	client := &http.Client{Transport: newTransport(insecure), Timeout: 30 * time.Second}
	kv := kinesisvideo.NewFromConfig(s.Config, func(o *kinesisvideo.Options) {
		o.HTTPClient = client
		if s.endpointSet {
			o.BaseEndpoint = aws.String(s.Endpoint)
		}
	})
	return &requester{aws: s, kv: kv, signer: v4.NewSigner(), http: client, insecure: insecure}
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
func (e *apiError) authFailure() bool { return credentialErrorCodes[e.Name] }

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
	reason := firstNonEmpty(unreachableReason(err), oneLine(err.Error()))
	return &cliError{msg: op + ": " + unreachableMessage(endpoint, reason), err: err}
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
		return r.aws.explain(readAPIError(op, resp), "", r.aws.Endpoint)
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

// createStream calls CreateStream
// (https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/API_CreateStream.html).
func (r *requester) createStream(ctx context.Context, name, mediaType string, retentionHours int) (string, error) {
	in := &kinesisvideo.CreateStreamInput{StreamName: aws.String(name), DataRetentionInHours: aws.Int32(int32(retentionHours))}
	if mediaType != "" {
		in.MediaType = aws.String(mediaType)
	}
	out, err := r.kv.CreateStream(ctx, in)
	if err != nil {
		return "", r.explain(err, name)
	}
	return aws.ToString(out.StreamARN), nil
}

// describe calls DescribeStream
// (https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/API_DescribeStream.html).
func (r *requester) describe(ctx context.Context, name string) (*types.StreamInfo, error) {
	out, err := r.kv.DescribeStream(ctx, &kinesisvideo.DescribeStreamInput{StreamName: aws.String(name)})
	if err != nil {
		return nil, r.explain(err, name)
	}
	if out.StreamInfo == nil {
		return nil, fmt.Errorf("DescribeStream %s: the answer has no StreamInfo", name)
	}
	return out.StreamInfo, nil
}

// getDataEndpoint calls GetDataEndpoint
// (https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/API_GetDataEndpoint.html).
func (r *requester) getDataEndpoint(ctx context.Context, stream, apiName string) (string, error) {
	out, err := r.kv.GetDataEndpoint(ctx, &kinesisvideo.GetDataEndpointInput{
		StreamName: aws.String(stream), APIName: types.APIName(apiName),
	})
	if err != nil {
		return "", r.explain(err, stream)
	}
	ep, err := checkEndpoint(aws.ToString(out.DataEndpoint))
	if err != nil {
		return "", fmt.Errorf("GetDataEndpoint %s: %w", stream, err)
	}
	return ep, nil
}

// explain rewrites the error of a control-plane call about stream.
func (r *requester) explain(err error, stream string) error {
	return r.aws.explain(err, stream, r.aws.Endpoint)
}

// isAPIError reports whether err is an error answer with the given code,
// from the SDK or from kvsctl's own requests.
func isAPIError(err error, code string) bool {
	got, _, _, ok := apiErrorParts(err)
	return ok && got == code
}
