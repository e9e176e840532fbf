// Package live tells readers of a stream that new media arrived, so that a
// GetMedia reader at the live edge wakes up at once instead of polling.
//
// Readers never hold up writers: Notify closes a channel and returns; a
// reader that is busy simply finds the news when it next looks.
package live
