package database_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/testenv"
)

func TestCustomersUpsertCountsAndSkipsUnchanged(t *testing.T) {
	ctx := context.Background()
	db := setup(t)
	bp := int64(8500)
	rows := []database.Customer{
		{Code: "T-C1", Name: "Suzhou Parts", MinDiscountBP: &bp, Source: "import", SalesOwner: "wang"},
		{Code: "T-C2", Name: "Ningbo Auto", Source: "import"},
	}
	n, err := db.CustomersUpsert(ctx, rows, &database.Checkpoint{Entity: "test-customers", Position: "p1"})
	require.NoError(t, err)
	require.Equal(t, database.UpsertCounts{Inserted: 2}, n)

	rows[1].Phone = "0574-1234567"
	n, err = db.CustomersUpsert(ctx, rows, &database.Checkpoint{Entity: "test-customers", Position: "p2"})
	require.NoError(t, err)
	require.Equal(t, database.UpsertCounts{Updated: 1, Unchanged: 1}, n)
	pos, err := db.CheckpointGet(ctx, "test-customers")
	require.NoError(t, err)
	require.Equal(t, "p2", pos)

	// A batch that violates a constraint writes nothing, checkpoint included.
	bad := int64(0)
	rows = append(rows, database.Customer{Code: "T-C3", Name: "Bad", MinDiscountBP: &bad, Source: "import"})
	_, err = db.CustomersUpsert(ctx, rows, &database.Checkpoint{Entity: "test-customers", Position: "p3"})
	require.Error(t, err)
	pos, _ = db.CheckpointGet(ctx, "test-customers")
	require.Equal(t, "p2", pos)
	existing, err := db.CustomerCodesExisting(ctx, []string{"T-C1", "T-C3"})
	require.NoError(t, err)
	require.Equal(t, map[string]bool{"T-C1": true}, existing)
}

// TestCustomersUpsertKeepsLocalFields: a source without a sales owner, value
// class or contact (the ERP) does not wipe what l2c recorded.
func TestCustomersUpsertKeepsLocalFields(t *testing.T) {
	ctx := context.Background()
	db := setup(t)
	_, err := db.CustomersUpsert(ctx, []database.Customer{{Code: "K-C1", Name: "Keep Co.", SalesOwner: "wang",
		ValueClass: "A", ContactName: "Ms. Wu", Source: "import"}}, nil)
	require.NoError(t, err)
	n, err := db.CustomersUpsert(ctx, []database.Customer{{Code: "K-C1", Name: "Keep Co.", SalesOwner: "wang",
		ValueClass: "A", ContactName: "Ms. Wu", Source: "import"}}, nil)
	require.NoError(t, err)
	require.Equal(t, database.UpsertCounts{Unchanged: 1}, n)
	n, err = db.CustomersUpsert(ctx, []database.Customer{{Code: "K-C1", Name: "Keep Co. Ltd", Source: "import"}}, nil)
	require.NoError(t, err)
	require.Equal(t, database.UpsertCounts{Updated: 1}, n)
	n, err = db.CustomersUpsert(ctx, []database.Customer{{Code: "K-C1", Name: "Keep Co. Ltd", Source: "import"}}, nil)
	require.NoError(t, err)
	require.Equal(t, database.UpsertCounts{Unchanged: 1}, n, "empty local fields compare as kept, not as changed")
	conn := testenv.Conn(t, testenv.DatabaseURL(t))
	var owner, class, contact, name string
	require.NoError(t, conn.QueryRow(ctx, `SELECT sales_owner, value_class, contact_name, name FROM customers WHERE code = 'K-C1'`).
		Scan(&owner, &class, &contact, &name))
	require.Equal(t, []string{"wang", "A", "Ms. Wu", "Keep Co. Ltd"}, []string{owner, class, contact, name})
}
