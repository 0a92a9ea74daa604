package testenv

import (
	"context"
	"testing"
	"time"

	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/identity"
)

// AgeingKnownData loads the receivables the ageing tests know the figures
// of, as of 30 June 2026: rep agerep (office north) owns customers AG1 and
// AG2; AG3 is a customer the ERP bills that l2c does not know.
//
//	AG1  AG-A1  1,000.00 due 2026-07-10   current
//	     AG-A2    500.00 due 2026-06-15   1-30, 200.00 of it paid: 300.00 open
//	     AG-A3    800.00 due 2026-04-15   paid off: not open
//	     AG-A4   -100.00 due 2026-06-30   a credit note, current
//	AG2  AG-B1  2,000.00 due 2026-05-15   31-60
//	     AG-B2    700.00 due 2026-03-01   90+
//	AG3  AG-C1    400.00 due 2026-06-01   1-30
//
// AG1: current 900.00, 1-30 300.00; AG2: 31-60 2,000.00, 90+ 700.00; the
// rep's total 3,900.00 in 5 items.
func AgeingKnownData(t testing.TB, db *database.DB) {
	t.Helper()
	ctx := context.Background()
	if err := db.UserUpsert(ctx, identity.User{ID: "agerep", Name: "Age Rep", Team: "north",
		Roles: []identity.Role{identity.RoleSales}}, "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CustomersUpsert(ctx, []database.Customer{
		{Code: "AG1", Name: "Ageing One", SalesOwner: "agerep", Currency: "CNY", Source: "erp"},
		{Code: "AG2", Name: "Ageing Two", SalesOwner: "agerep", Currency: "CNY", Source: "erp"},
	}, nil); err != nil {
		t.Fatal(err)
	}
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			panic(err)
		}
		return d
	}
	inv := func(no, customer string, amount int64, due string) database.ERPInvoice {
		return database.ERPInvoice{Number: no, CustomerCode: customer, Amount: amount, Currency: "CNY", IssuedOn: day("2026-01-05"),
			DueOn: day(due), ERPChangedAt: time.Now()}
	}
	if _, err := db.InvoicesUpsert(ctx, []database.ERPInvoice{
		inv("AG-A1", "AG1", 100000, "2026-07-10"),
		inv("AG-A2", "AG1", 50000, "2026-06-15"),
		inv("AG-A3", "AG1", 80000, "2026-04-15"),
		inv("AG-A4", "AG1", -10000, "2026-06-30"),
		inv("AG-B1", "AG2", 200000, "2026-05-15"),
		inv("AG-B2", "AG2", 70000, "2026-03-01"),
		inv("AG-C1", "AG3", 40000, "2026-06-01"),
	}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PaymentsUpsert(ctx, []database.ERPPayment{
		{Reference: "AG-P1", InvoiceNo: "AG-A2", CustomerCode: "AG1", Amount: 20000, Currency: "CNY", ReceivedOn: day("2026-06-25"), ERPChangedAt: time.Now()},
		{Reference: "AG-P2", InvoiceNo: "AG-A3", CustomerCode: "AG1", Amount: 80000, Currency: "CNY", ReceivedOn: day("2026-04-25"), ERPChangedAt: time.Now()},
	}, nil); err != nil {
		t.Fatal(err)
	}
}
