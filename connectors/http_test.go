package connectors

import (
	"net/http"
	"testing"
	"time"
)

func TestBackoffStaysWithinItsBoundsAndHonoursRetryAfter(t *testing.T) {
	lo, hi := 200*time.Millisecond, 30*time.Second
	for attempt := range 40 {
		d := Backoff(attempt, lo, hi, 0)
		want := min(lo<<min(attempt, 16), hi)
		if want <= 0 {
			want = hi
		}
		if d < want/2 || d > want {
			t.Fatalf("attempt %d: %v outside [%v, %v]", attempt, d, want/2, want)
		}
	}
	if d := Backoff(0, lo, hi, time.Minute); d != time.Minute {
		t.Fatalf("Retry-After of a minute waited %v", d)
	}
}

func TestSessionClientIsACopyWithItsOwnCookies(t *testing.T) {
	base := &http.Client{Timeout: 5 * time.Second}
	a, b := SessionClient(base, time.Minute), SessionClient(base, time.Minute)
	if a == base || a.Jar == nil || a.Jar == b.Jar || base.Jar != nil {
		t.Fatal("each connector needs its own client and cookie jar, leaving the base untouched")
	}
	if a.Timeout != 5*time.Second {
		t.Fatalf("the base's own timeout is kept, got %v", a.Timeout)
	}
	if c := SessionClient(nil, time.Minute); c.Timeout != time.Minute {
		t.Fatalf("a new client is bounded by the timeout, got %v", c.Timeout)
	}
}
