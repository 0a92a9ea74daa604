// Package connectorstest holds what the connectors' tests share.
package connectorstest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/connectors"
)

// ReadAll reads every page of read from since, following each page's Next as
// the sync does, and returns the rows, the rejected rows and how many pages
// there were. stored, when given, runs after each page with its Next (what
// the sync does once a page is stored: the exchange folder's
// acknowledgement). Paging that does not end fails the test.
func ReadAll[T any](t testing.TB, read func(context.Context, time.Time, string) (connectors.Page[T], error),
	since time.Time, stored ...func(next string)) ([]T, []connectors.Rejected, int) {
	t.Helper()
	var rows []T
	var bad []connectors.Rejected
	pages, cursor := 0, ""
	for {
		p, err := read(context.Background(), since, cursor)
		require.NoError(t, err)
		pages++
		rows = append(rows, p.Rows...)
		bad = append(bad, p.Rejected...)
		for _, f := range stored {
			f(p.Next)
		}
		if p.Next == "" {
			return rows, bad, pages
		}
		require.Less(t, pages, 10_000, "paging does not end")
		cursor = p.Next
	}
}
