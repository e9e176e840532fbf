package prefault

import (
	"bytes"
	"testing"
)

func TestAppendMatchesBuiltin(t *testing.T) {
	var got, want []byte
	for i := range 200 {
		chunk := bytes.Repeat([]byte{byte(i)}, 1+i*97)
		got, want = Append(got, chunk), append(want, chunk...)
		if !bytes.Equal(got, want) {
			t.Fatalf("after %d appends: contents differ", i+1)
		}
	}
	if cap(got) < len(got) {
		t.Fatal("capacity below length")
	}
}

func TestBytesShape(t *testing.T) {
	b := Bytes(10, 1<<20)
	if len(b) != 10 || cap(b) != 1<<20 {
		t.Fatalf("len %d cap %d", len(b), cap(b))
	}
	for _, v := range b[:cap(b)] {
		if v != 0 {
			t.Fatal("not zeroed")
		}
	}
}

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
