package errkind

import (
	"errors"
	"fmt"
	"testing"
)

func TestNewKeepsKindAndMessage(t *testing.T) {
	kind := errors.New("invalid argument")
	err := New(kind, "bad %s", "name")
	if err.Error() != "bad name" {
		t.Fatalf("message = %q", err.Error())
	}
	if !errors.Is(fmt.Errorf("wrapped: %w", err), kind) {
		t.Fatal("kind lost through wrapping")
	}
	if errors.Is(err, errors.New("invalid argument")) {
		t.Fatal("matched a different sentinel with the same text")
	}
}
