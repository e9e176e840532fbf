package parser

import (
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no test leaves a goroutine behind: the Consumer's
// HTTP connections and timers must all be gone when a test returns.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// Fixture locations, relative to the package directory.
const (
	kvsRealDir  = "../../shared/fixtures/kvs-real"
	parserLib   = kvsRealDir + "/amazon-kinesis-video-streams-parser-library"
	producerDir = "../../shared/fixtures/producer-c"
)

// readFixture returns the content of a shared fixture.
func readFixture(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.FromSlash(path))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return data
}
