package producer

import (
	"bytes"
	"testing"
)

func TestAppendFragmentMatchesAppend(t *testing.T) {
	got, want := newFragmentBuffer(100), []byte(nil)
	if len(got) != 0 || cap(got) != 100 {
		t.Fatalf("newFragmentBuffer(100): len %d cap %d", len(got), cap(got))
	}
	for i := range 300 {
		chunk := bytes.Repeat([]byte{byte(i)}, 1+i*61)
		got, want = appendFragment(got, chunk), append(want, chunk...)
		if !bytes.Equal(got, want) {
			t.Fatalf("after %d appends: contents differ", i+1)
		}
	}
}
