package database

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/l2c/l2c/internal/audit"
)

// ERPInvoiceHeld is l2c's copy of one ERP invoice and the deal it is linked
// to ("" when none): what a deal checks an invoice it is told of against.
func (db *DB) ERPInvoiceHeld(ctx context.Context, number string) (ERPInvoice, string, error) {
	var v ERPInvoice
	var dealID *string
	err := db.pool.QueryRow(ctx, `SELECT number, customer_code, sales_order, amount, currency, issued_on, due_on,
			cancelled, erp_changed_at, deal_id
		FROM erp_invoices WHERE number = $1`, number).Scan(&v.Number, &v.CustomerCode, &v.SalesOrder, &v.Amount,
		&v.Currency, &v.IssuedOn, &v.DueOn, &v.Cancelled, &v.ERPChangedAt, &dealID)
	if err != nil {
		return v, "", fmt.Errorf("erp invoice %s: %w", number, notFound(err))
	}
	return v, erpLinkedDeal(dealID), nil
}

// ERPPaymentHeld is l2c's copy of one ERP payment and the deal it is linked to.
func (db *DB) ERPPaymentHeld(ctx context.Context, reference string) (ERPPayment, string, error) {
	var v ERPPayment
	var dealID *string
	err := db.pool.QueryRow(ctx, `SELECT reference, invoice_no, customer_code, amount, currency, received_on,
			erp_changed_at, deal_id
		FROM erp_payments WHERE reference = $1`, reference).Scan(&v.Reference, &v.InvoiceNo, &v.CustomerCode, &v.Amount,
		&v.Currency, &v.ReceivedOn, &v.ERPChangedAt, &dealID)
	if err != nil {
		return v, "", fmt.Errorf("erp payment %s: %w", reference, notFound(err))
	}
	return v, erpLinkedDeal(dealID), nil
}

func erpLinkedDeal(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// ERPRecordRefused records that a deal refused an ERP record it was told of,
// with its audit entry e, in one transaction. key names the check (a retried
// check has the same key): the second time nothing is written.
func (db *DB) ERPRecordRefused(ctx context.Context, chain audit.Chain, key, dealID, record, reason string, e audit.Entry) error {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var seen bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM erp_record_refusals WHERE key = $1)`, key).Scan(&seen); err != nil {
			return err
		}
		if seen {
			return nil
		}
		e, err := auditAppend(ctx, tx, chain, e)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO erp_record_refusals (key, deal_id, record, reason, audit_seq)
			VALUES ($1, $2, $3, $4, $5)`, key, dealID, record, reason, e.Seq)
		return err
	})
	if err != nil {
		return fmt.Errorf("refuse erp record %s of deal %s: %w", record, dealID, err)
	}
	return nil
}
