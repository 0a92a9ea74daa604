package api

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNextAfter: a full page names its last row as the cursor, a short or
// empty one names none, and the answer carries "next" only then.
func TestNextAfter(t *testing.T) {
	key := func(s string) string { return s }
	require.Equal(t, "c", nextAfter([]string{"a", "b", "c"}, 3, key))
	require.Empty(t, nextAfter([]string{"a", "b"}, 3, key))
	require.Empty(t, nextAfter([]string{}, 0, key))
	require.Empty(t, nextAfter[string](nil, 3, key))

	full, err := json.Marshal(listPage("customers", []string{"a", "b"}, 2, key))
	require.NoError(t, err)
	require.JSONEq(t, `{"customers": ["a", "b"], "next": "b"}`, string(full))
	short, err := json.Marshal(listPage("customers", []string{"a"}, 2, key))
	require.NoError(t, err)
	require.JSONEq(t, `{"customers": ["a"]}`, string(short))
}
