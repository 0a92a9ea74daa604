package money

import (
	"encoding/json"
	"testing"
)

func TestParse(t *testing.T) {
	good := map[string]Amount{"0": 0, "1": 100, "1.5": 150, "1234.50": 123450, "-0.01": -1, "+2.00": 200}
	for in, want := range good {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "abc", "1.234", "1,000", "1e3", ".5", "5.", "--1", "99999999999999999999"} {
		if _, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) accepted", in)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	var v struct{ A, B Amount }
	if err := json.Unmarshal([]byte(`{"A":"1234.56","B":0.1}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.A != 123456 || v.B != 10 {
		t.Fatalf("got %d %d", v.A, v.B)
	}
	out, _ := json.Marshal(v)
	if string(out) != `{"A":"1234.56","B":"0.10"}` {
		t.Fatalf("marshal: %s", out)
	}
	if err := json.Unmarshal([]byte(`{"A":1.005}`), &v); err == nil {
		t.Fatal("three decimals accepted")
	}
}

func TestMulRatio(t *testing.T) {
	cases := []struct {
		a        Amount
		num, den int64
		want     Amount
	}{
		{10000, 8500, 10000, 8500},
		{333, 1, 2, 167},   // 166.5 rounds up
		{-333, 1, 2, -167}, // and away from zero
		{100, 2, 3, 67},
	}
	for _, c := range cases {
		if got, ok := c.a.MulRatio(c.num, c.den); !ok || got != c.want {
			t.Errorf("%d*%d/%d = %d, want %d", c.a, c.num, c.den, got, c.want)
		}
	}
}
