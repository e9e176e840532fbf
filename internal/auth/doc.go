// Package auth verifies AWS Signature Version 4 requests and manages the
// server's credentials.
//
// The verifier is written here rather than built on aws-sdk-go-v2's signer
// because verification must use the request exactly as received: the
// producer C SDK signs Host without the port, signs hop-by-hop headers such
// as transfer-encoding, and signs an empty payload hash for the streaming
// PutMedia body. The SDK signer rebuilds headers its own way, so the tests
// use it only as an oracle for requests it produces itself.
//
// Signature Version 4: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
package auth
