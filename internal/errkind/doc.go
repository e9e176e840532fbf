// Package errkind attaches a sentinel "kind" to a user-facing message.
//
// Domain packages return errkind errors so that the api layer can map the
// kind (errors.Is) to an AWS error name and status, and send the message
// (Error) unchanged to the client, without the domain importing net/http.
package errkind
