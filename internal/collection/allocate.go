package collection

import (
	"cmp"
	"slices"

	"github.com/l2c/l2c/internal/money"
)

// Owed is one instalment as allocation sees it: its amount and due date
// (zero: its trigger has not happened yet).
type Owed struct {
	Amount money.Amount
	Due    Date
}

// Move is money that reduces what a customer owes on a deal: a payment, or a
// credit note (Credit). Ref identifies it: the same Ref twice is one move.
type Move struct {
	Ref    string
	On     Date
	Amount money.Amount
	Credit bool
}

// Allocation is what moves did to one instalment.
type Allocation struct {
	Paid, Credited money.Amount
	Applied        []Applied
	// SettledOn is the day the instalment was paid off; zero while open.
	SettledOn Date
}

// Open is what the instalment still owes.
func (a Allocation) Open(amount money.Amount) money.Amount { return amount - a.Paid - a.Credited }

// Allocate applies the moves, oldest first (by day, then reference), to the
// instalments oldest due first (those not yet due last, in plan order): one
// payment may cover several instalments, and several payments one. A
// reference seen twice is applied once. Money beyond the plan is left over.
func Allocate(owed []Owed, moves []Move) []Allocation {
	out := make([]Allocation, len(owed))
	order := make([]int, len(owed))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		da, db := owed[a].Due, owed[b].Due
		switch {
		case da.IsZero() != db.IsZero():
			if da.IsZero() {
				return 1
			}
			return -1
		}
		return CompareDates(da, db)
	})
	moves = slices.Clone(moves)
	slices.SortStableFunc(moves, func(a, b Move) int {
		if c := CompareDates(a.On, b.On); c != 0 {
			return c
		}
		return cmp.Compare(a.Ref, b.Ref)
	})
	seen := map[string]bool{}
	for _, m := range moves {
		if seen[m.Ref] || m.Amount <= 0 {
			continue
		}
		seen[m.Ref] = true
		left := m.Amount
		for _, i := range order {
			if left == 0 {
				break
			}
			open := out[i].Open(owed[i].Amount)
			if open <= 0 {
				continue
			}
			take := min(open, left)
			left -= take
			if m.Credit {
				out[i].Credited += take
			} else {
				out[i].Paid += take
			}
			out[i].Applied = append(out[i].Applied, Applied{On: m.On, Amount: take})
			if out[i].Open(owed[i].Amount) == 0 {
				out[i].SettledOn = m.On
			}
		}
	}
	return out
}
