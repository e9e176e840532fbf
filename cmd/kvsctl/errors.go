package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// cliError is an error whose text was written for the person at the
// terminal: one line, without the SDK's "operation error ..." wrapping. It
// keeps the original for errors.As.
type cliError struct {
	msg string
	err error
}

func (e *cliError) Error() string { return e.msg }
func (e *cliError) Unwrap() error { return e.err }

// credentialErrorCodes are the API errors that mean the credentials or the
// signature were rejected.
var credentialErrorCodes = map[string]bool{
	"UnrecognizedClientException": true, "InvalidSignatureException": true, "IncompleteSignatureException": true,
	"MissingAuthenticationTokenException": true, "SignatureDoesNotMatch": true, "InvalidClientTokenId": true,
	"AccessDeniedException": true, "RequestExpired": true, "ExpiredTokenException": true,
}

// validationErrorCodes are the API errors whose message alone tells what
// to fix in the request.
var validationErrorCodes = map[string]bool{
	"InvalidArgumentException": true, "ValidationException": true, "InvalidParameterValueException": true,
	"SerializationException": true, "InvalidResourceFormatException": true,
}

// explain rewrites the error of a call about stream, sent to endpoint, into
// one line the user can act on.
func (s awsSettings) explain(err error, stream, endpoint string) error {
	var ce *cliError
	switch {
	case err == nil || errors.As(err, &ce) || errors.Is(err, context.Canceled):
		return err
	}
	if reason := unreachableReason(err); reason != "" {
		return &cliError{msg: unreachableMessage(endpoint, reason), err: err}
	}
	if reason := tlsFailure(err); reason != "" {
		return &cliError{msg: fmt.Sprintf("cannot verify the TLS certificate of %s/ : %s (use --no-verify-ssl for a self-signed kvsd)", endpoint, reason), err: err}
	}
	code, msg, status, ok := apiErrorParts(err)
	if !ok {
		return &cliError{msg: oneLine(err.Error()), err: err}
	}
	switch {
	case credentialErrorCodes[code] || status == 403:
		return &cliError{msg: s.credentialsRejected(endpoint, code, msg, status), err: err}
	case code == "ResourceNotFoundException" && stream != "":
		return &cliError{msg: fmt.Sprintf("stream %s not found", stream), err: err}
	case validationErrorCodes[code] && msg != "":
		return &cliError{msg: oneLine(msg), err: err}
	case msg == "":
		return &cliError{msg: code, err: err}
	}
	return &cliError{msg: code + ": " + oneLine(msg), err: err}
}

// credentialsRejected says which credentials the server refused and where
// they came from.
func (s awsSettings) credentialsRejected(endpoint, code, msg string, status int) string {
	what := firstNonEmpty(code, fmt.Sprintf("HTTP %d", status))
	if msg != "" {
		what += ": " + oneLine(msg)
	}
	return fmt.Sprintf("credentials rejected by %s (%s): access key %s from %s; check the credentials, --profile and --region",
		endpoint, what, firstNonEmpty(s.AccessKeyID, "(none)"), firstNonEmpty(s.CredentialsFrom, "the default chain"))
}

// apiErrorParts returns the error code, message and HTTP status of an
// error answer, from the SDK or from kvsctl's own requests.
func apiErrorParts(err error) (code, msg string, status int, ok bool) {
	var own *apiError
	if errors.As(err, &own) {
		return own.Name, own.Message, own.Status, true
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode(), ae.ErrorMessage(), status, true
	}
	return "", "", status, status != 0
}

// unreachableMessage is the one line for an endpoint that does not answer.
func unreachableMessage(endpoint, reason string) string {
	return fmt.Sprintf("cannot reach %s/ : %s (check --endpoint-url)", endpoint, reason)
}

// unreachableReason returns why no HTTP answer came from the endpoint
// ("connection refused", "no such host", "timed out"), or "" when the
// error is something else.
func unreachableReason(err error) string {
	if reason := dialFailure(err); reason != "" {
		return reason
	}
	var ue *url.Error
	if errors.As(err, &ue) && ue.Timeout() {
		return "timed out"
	}
	return ""
}

// dialFailure returns why a connection could not be opened, or "".
func dialFailure(err error) string {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		if dnsErr.IsNotFound {
			return "no such host " + dnsErr.Name
		}
		return "cannot resolve " + dnsErr.Name + ": " + dnsErr.Err
	}
	var opErr *net.OpError
	if !errors.As(err, &opErr) || opErr.Op != "dial" {
		return ""
	}
	if opErr.Timeout() {
		return "timed out"
	}
	var sysErr *os.SyscallError
	if errors.As(opErr.Err, &sysErr) {
		return sysErr.Err.Error() // "connection refused", "no route to host"
	}
	return opErr.Err.Error()
}

// tlsFailure returns why the server's certificate was refused, or "".
func tlsFailure(err error) string {
	var (
		verifyErr *tls.CertificateVerificationError
		authErr   x509.UnknownAuthorityError
		hostErr   x509.HostnameError
	)
	switch {
	case errors.As(err, &authErr):
		return authErr.Error()
	case errors.As(err, &hostErr):
		return hostErr.Error()
	case errors.As(err, &verifyErr):
		return verifyErr.Err.Error()
	}
	return ""
}

// rootCause is the innermost wrapped error.
func rootCause(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

// oneLine joins the lines of s, so that every error stays on one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
