package playback_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/openkvs/openkvs/internal/playback"
	"github.com/openkvs/openkvs/internal/store"
)

// countingStore counts fragment reads.
type countingStore struct {
	*memStore
	reads atomic.Int64
}

func (c *countingStore) ReadMedia(ctx context.Context, f store.Fragment, dst []byte) ([]byte, error) {
	c.reads.Add(1)
	return c.memStore.ReadMedia(ctx, f, dst)
}

// TestFragmentCache checks that concurrent viewers of one fragment cause
// one store read and that the cache stays within its bound.
func TestFragmentCache(t *testing.T) {
	in := filepath.Join(t.TempDir(), "in.mkv")
	gen := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=14",
		"-c:v", "libx264", "-preset", "ultrafast", "-b:v", "2M", "-g", "50", "-pix_fmt", "yuv420p", "-f", "matroska", in)
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	body, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	st := &countingStore{memStore: splitMKV(t, body)}
	src := playback.NewSource(st)
	// Room for about two of the 2 s, 500 KB fragments.
	src.SetCacheBytes(1 << 20)
	ctx := context.Background()
	var wg sync.WaitGroup
	frags := make([]*playback.Fragment, 50)
	for i := range frags {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, err := src.Cached(ctx, st.meta[0])
			if err != nil {
				t.Error(err)
			}
			frags[i] = f
		}()
	}
	wg.Wait()
	if n := st.reads.Load(); n != 1 {
		t.Fatalf("%d reads for 50 concurrent requests, want 1", n)
	}
	for _, f := range frags[1:] {
		if f != frags[0] || len(f.Frames) != 50 {
			t.Fatalf("fragment not shared or wrong: %d frames", len(f.Frames))
		}
	}
	for _, m := range st.meta[1:6] {
		if _, err := src.Cached(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	// Fragment 1 was evicted; reading it again goes to the store.
	if _, err := src.Cached(ctx, st.meta[0]); err != nil {
		t.Fatal(err)
	}
	if n := st.reads.Load(); n != 7 {
		t.Fatalf("%d reads, want 7", n)
	}
}
