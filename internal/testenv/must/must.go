// Package must reads the literals tests write (a day, an amount) and panics
// on a typo in one. It depends on nothing of l2c but the types it parses, so
// the tests of every package can use it, those inside the packages testenv's
// database depends on (collection, deal) too.
package must

import (
	"github.com/l2c/l2c/internal/calendar"
	"github.com/l2c/l2c/internal/money"
)

// Date is the day s ("2026-03-02") names.
func Date(s string) calendar.Date {
	d, err := calendar.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// Amount is the amount s ("30000.00") names.
func Amount(s string) *money.Amount {
	a, err := money.Parse(s)
	if err != nil {
		panic(err)
	}
	return &a
}
