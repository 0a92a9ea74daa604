package config

import "testing"

// TestWholeEnv: a whole-number setting takes its default when unset, its
// value within bounds, and refuses anything else naming the variable, the
// value and the range.
func TestWholeEnv(t *testing.T) {
	t.Setenv("L2C_TEST_WHOLE", "")
	if n, err := wholeEnv("L2C_TEST_WHOLE", 30, 1, 366, "days"); err != nil || n != 30 {
		t.Fatalf("unset: %d, %v", n, err)
	}
	t.Setenv("L2C_TEST_WHOLE", "0")
	if n, err := wholeEnv("L2C_TEST_WHOLE", 2, 0, 60, "working days"); err != nil || n != 0 {
		t.Fatalf("0 within 0..60: %d, %v", n, err)
	}
	for _, c := range []struct{ v, unit, want string }{
		{"367", "days", `L2C_TEST_WHOLE="367": want a whole number of days from 1 to 366`},
		{"2.5", "", `L2C_TEST_WHOLE="2.5": want a whole number from 1 to 366`},
		{"0", "", `L2C_TEST_WHOLE="0": want a whole number from 1 to 366`},
	} {
		t.Setenv("L2C_TEST_WHOLE", c.v)
		if _, err := wholeEnv("L2C_TEST_WHOLE", 10, 1, 366, c.unit); err == nil || err.Error() != c.want {
			t.Errorf("%q: %v, want %s", c.v, err, c.want)
		}
	}
}
