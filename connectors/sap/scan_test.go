package sap

import (
	"math/rand/v2"
	"testing"
)

// TestHasControl checks the eight-bytes-at-a-time test against the plain one.
func TestHasControl(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		b := make([]byte, r.IntN(33))
		for i := range b {
			switch r.IntN(4) {
			case 0:
				b[i] = byte(r.IntN(0x20))
			case 1:
				b[i] = 0x80 + byte(r.IntN(0x80))
			default:
				b[i] = 0x20 + byte(r.IntN(0x60))
			}
		}
		want := false
		for _, c := range b {
			want = want || c < 0x20
		}
		if got := hasControl(b); got != want {
			t.Fatalf("hasControl(% x) = %v, want %v", b, got, want)
		}
	}
}

func TestRawString(t *testing.T) {
	for in, want := range map[string]string{`"plain"`: "plain", `"苏州 \"x\""`: `苏州 "x"`, `""`: "", `"a\u00e9b"`: "aéb"} {
		s := &scan{b: []byte(in)}
		got, ok := s.rawString()
		if !ok || got != want || s.i != len(in) {
			t.Fatalf("%s: got %q %v at %d", in, got, ok, s.i)
		}
	}
	for _, in := range []string{`"unterminated`, "\"ctl\x01\""} {
		s := &scan{b: []byte(in)}
		if _, ok := s.rawString(); ok {
			t.Fatalf("%q accepted", in)
		}
	}
}
