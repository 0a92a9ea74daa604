// Package simulation is what the two ERP simulators (connectors/erpsim for
// SAP S/4HANA, connectors/kingdee/kingdeesim for Kingdee K3 Cloud) do the
// same way: rows generated on demand from an index (their keys, stamps and
// hashes), sorted key lists of the rows added at run time, the even spread
// of the rows a simulated ERP user changes, and the seeded dice and counts
// of injected faults. What each ERP answers, and how, stays in its simulator.
package simulation

import (
	"cmp"
	"context"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Clock fills in what a simulator's options leave unset of its time and
// its log: the clock (time.Now), the epoch its generated data is stamped
// before (the clock's now) and the logger (slog's default).
func Clock(now *func() time.Time, epoch *time.Time, log **slog.Logger) {
	if *now == nil {
		*now = time.Now
	}
	if *log == nil {
		*log = slog.Default()
	}
	if epoch.IsZero() {
		*epoch = (*now)()
	}
}

// Mix is SplitMix64: a fast, well-spread hash for deterministic generation.
func Mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Pad is i in decimal, zero-padded to n digits: generated keys sort as their
// indexes do.
func Pad(i, n int) string {
	s := strconv.Itoa(i)
	if len(s) >= n {
		return s
	}
	return strings.Repeat("0", n-len(s)) + s
}

// IndexOf parses a generated key (prefix, then digits digits) back into its
// index; ok is false for any other key.
func IndexOf(prefix string, digits int) func(key string) (index int, ok bool) {
	return func(k string) (int, bool) {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok || len(rest) != digits {
			return 0, false
		}
		n, err := strconv.Atoi(rest)
		return n, err == nil
	}
}

// FirstIndex is the first generated row stamped at or after t, when row i is
// stamped start + i*step.
func FirstIndex(t, start time.Time, step time.Duration) int {
	if step == 0 || !t.After(start) {
		return 0
	}
	return int((t.Sub(start) + step - 1) / step)
}

// Insert adds k to sorted keys, keeping them sorted and free of duplicates.
func Insert[K cmp.Ordered](keys []K, k K) []K {
	at, found := slices.BinarySearch(keys, k)
	if found {
		return keys
	}
	return slices.Insert(keys, at, k)
}

// Spread returns n indexes of a table of total generated rows, evenly spaced
// from offset (wrapping around): the rows a simulated ERP user changes. It
// is empty when either is not positive, and never longer than the table.
func Spread(total, n, offset int) []int {
	if total <= 0 || n <= 0 {
		return nil
	}
	n = min(n, total)
	step := max(total/n, 1)
	out := make([]int, n)
	for k := range out {
		out[k] = (offset + k*step) % total
	}
	return out
}

// Dice decides injected faults. Seeded, it rolls the same on every run, so a
// test's faults are the same each time (a sync's requests arrive in order).
// Safe for concurrent use.
type Dice struct {
	mu sync.Mutex
	r  *rand.Rand
}

// NewDice returns dice seeded with seed; stream tells two simulators' dice
// apart under one seed.
func NewDice(seed, stream uint64) *Dice {
	return &Dice{r: rand.New(rand.NewPCG(seed, stream))}
}

// Roll reports whether a fault of probability p (0 to 1) happens now.
func (d *Dice) Roll(p float64) bool {
	if p <= 0 {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.r.Float64() < p
}

// Meter counts the requests a simulator answered and those of them it
// answered with a fault instead of data. Safe for concurrent use.
type Meter struct {
	requests, injected atomic.Int64
}

// Request counts a request and returns how many there have been, this one
// included.
func (m *Meter) Request() int64 { return m.requests.Add(1) }

// Inject counts a request answered with a fault.
func (m *Meter) Inject() { m.injected.Add(1) }

// Requests is how many requests were answered, faults included.
func (m *Meter) Requests() int64 { return m.requests.Load() }

// Injected is how many requests were answered with a fault.
func (m *Meter) Injected() int64 { return m.injected.Load() }

// Delay waits d, as a slow ERP keeps a request waiting; it reports false
// when the request was given up first (there is no one to answer).
func Delay(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	select {
	case <-time.After(d):
		return true
	case <-ctx.Done():
		return false
	}
}
