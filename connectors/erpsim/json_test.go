package erpsim

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// TestAppendStringIsJSON: whatever the string, appendString writes JSON that
// reads back as the same text (invalid UTF-8 as U+FFFD, like encoding/json),
// on the fast path for plain text and the slow one for the rest.
func TestAppendStringIsJSON(t *testing.T) {
	cases := []string{"", "plain ASCII text, longer than eight bytes", "a\"b", `back\slash`, "tab\there", "\x00\x1f",
		"苏州精密零件有限公司", "12345678\"", "1234567\\", "1234567\x7f", "bad \xff utf-8", "exactly8"}
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("abcXYZ 019\"\\\n\t\x01\x7f\xc3\xa9\xe8\x8b\x8f\xff")
	for range 2000 {
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		out := appendString(nil, s)
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("%q → %s: not JSON: %v", s, out, err)
		}
		want, _ := json.Marshal(s)
		var wantBack string
		_ = json.Unmarshal(want, &wantBack)
		if back != wantBack {
			t.Fatalf("%q → %s reads back as %q, want %q", s, out, back, wantBack)
		}
		if plain(s) && string(out) != `"`+s+`"` {
			t.Fatalf("plain %q written as %s", s, out)
		}
	}
	if !plain("exactly8") || plain("1234567\"") || plain("12345678\x01") || plain("café") {
		t.Fatal("plain misjudges")
	}
}
