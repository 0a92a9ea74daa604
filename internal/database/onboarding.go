package database

import (
	"context"
	"fmt"
)

// Statuses of a customer in l2c's master: active (the ERP's, or approved and
// created there), pending (entered, awaiting its customer_onboarding case:
// a lead customer, 线索客户) or rejected.
const (
	CustomerActive   = "active"
	CustomerPending  = "pending"
	CustomerRejected = "rejected"
)

// CustomerStatus reads a customer's status; ErrNotFound if l2c has no such customer.
func (db *DB) CustomerStatus(ctx context.Context, code string) (string, error) {
	var s string
	if err := db.pool.QueryRow(ctx, `SELECT status FROM customers WHERE code = $1`, code).Scan(&s); err != nil {
		return "", fmt.Errorf("status of customer %s: %w", code, notFound(err))
	}
	return s, nil
}
