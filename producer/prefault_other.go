//go:build !linux

package producer

func mapPages([]byte) {}
