package auth

import "errors"

// Kinds of authentication failure. The api layer maps each to the AWS error
// that real clients print.
var (
	// ErrMissingAuth means the request carries no signature at all.
	ErrMissingAuth = errors.New("missing authentication token")
	// ErrIncompleteSignature means the signature is malformed or lacks a part.
	ErrIncompleteSignature = errors.New("incomplete signature")
	// ErrUnknownKey means the access key ID is not known to this server.
	ErrUnknownKey = errors.New("unrecognized client")
	// ErrSignatureMismatch means the signature is well formed but wrong, the
	// credential scope is wrong, the date is outside the allowed skew, or
	// x-amz-content-sha256 does not match the body.
	ErrSignatureMismatch = errors.New("invalid signature")
	// ErrRequestExpired means a presigned request is past its X-Amz-Expires.
	ErrRequestExpired = errors.New("request expired")
)
