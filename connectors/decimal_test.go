package connectors

import "testing"

func TestHundredthsAndMinor(t *testing.T) {
	for _, c := range []struct {
		frac, two string
		ok        bool
	}{{"", "00", true}, {"5", "50", true}, {"05", "05", true}, {"1200", "12", true}, {"125", "", false}, {"1201", "", false}} {
		two, ok := Hundredths(c.frac)
		if two != c.two || ok != c.ok {
			t.Errorf("Hundredths(%q) = %q, %v; want %q, %v", c.frac, two, ok, c.two, c.ok)
		}
	}
	if v := Minor(false, "1234", "05"); v != 123405 {
		t.Errorf("Minor(1234.05) = %d", v)
	}
	if v := Minor(true, "0", "10"); v != -10 {
		t.Errorf("Minor(-0.10) = %d", v)
	}
}
