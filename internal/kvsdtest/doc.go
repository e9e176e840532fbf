// Package kvsdtest starts a real kvsd on 127.0.0.1 for tests, with known
// root credentials, and gives aws-sdk-go-v2 clients configured for it.
package kvsdtest
