package prefault

import (
	"bytes"
	"testing"
)

func TestPopulateKeepsContent(t *testing.T) {
	b := make([]byte, 1<<20)
	for i := range b {
		b[i] = byte(i * 7)
	}
	want := bytes.Clone(b)
	Populate(b)
	Populate(b[3:100]) // smaller than a page pair: nothing to map
	if !bytes.Equal(b, want) {
		t.Fatal("Populate changed mapped pages")
	}
}
