package simulation

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestKeysAndIndexes: generated keys parse back into their indexes, sorted
// keys stay sorted without duplicates, and a stamp finds its first row.
func TestKeysAndIndexes(t *testing.T) {
	require.Equal(t, "0000042", Pad(42, 7))
	require.Equal(t, "12345678", Pad(12345678, 7), "never cut")
	at := IndexOf("C", 7)
	i, ok := at("C" + Pad(42, 7))
	require.True(t, ok)
	require.Equal(t, 42, i)
	for _, k := range []string{"C42", "X0000042", "C00000a2", "C00000420"} {
		_, ok := at(k)
		require.False(t, ok, k)
	}

	keys := []string{}
	for _, k := range []string{"b", "a", "c", "b"} {
		keys = Insert(keys, k)
	}
	require.Equal(t, []string{"a", "b", "c"}, keys)

	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	require.Equal(t, 0, FirstIndex(start.Add(-time.Hour), start, time.Minute))
	require.Equal(t, 3, FirstIndex(start.Add(3*time.Minute), start, time.Minute))
	require.Equal(t, 4, FirstIndex(start.Add(3*time.Minute+time.Second), start, time.Minute))
	require.Equal(t, 0, FirstIndex(start.Add(time.Hour), start, 0), "no generated rows")
}

// TestSpread: changed rows are spread evenly from the offset, wrap around,
// and are never more than the table holds.
func TestSpread(t *testing.T) {
	require.Equal(t, []int{5, 8, 2}, Spread(9, 3, 5))
	require.Equal(t, []int{0, 1, 2}, Spread(3, 10, 0))
	require.Empty(t, Spread(0, 3, 0))
	require.Empty(t, Spread(10, 0, 0))
}

// TestDiceAndMeter: seeded dice roll the same way twice; certain and
// impossible faults are exactly that.
func TestDiceAndMeter(t *testing.T) {
	a, b := NewDice(7, 1), NewDice(7, 1)
	for range 100 {
		require.Equal(t, a.Roll(0.5), b.Roll(0.5))
	}
	require.False(t, a.Roll(0))
	require.True(t, a.Roll(1))
	var m Meter
	require.Equal(t, int64(1), m.Request())
	require.Equal(t, int64(2), m.Request())
	m.Inject()
	require.Equal(t, int64(2), m.Requests())
	require.Equal(t, int64(1), m.Injected())
}
