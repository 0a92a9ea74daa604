package database

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/contract"
)

// Statuses of a customer in l2c's master: active (the ERP's, or approved and
// created there), pending (entered, awaiting its customer_onboarding case:
// a lead customer, 线索客户) or rejected.
const (
	CustomerActive   = "active"
	CustomerPending  = "pending"
	CustomerRejected = "rejected"
)

// ProvisionalPrefix starts the code a new customer has in l2c until the ERP
// numbers it (NEW-000001).
const ProvisionalPrefix = "NEW-"

// CustomerStatus reads a customer's status; ErrNotFound if l2c has no such customer.
func (db *DB) CustomerStatus(ctx context.Context, code string) (string, error) {
	return queryValue[string](ctx, db.pool, "status of customer "+code, `SELECT status FROM customers WHERE code = $1`, code)
}

// CustomerCodeNow is the code customer code goes by now: the ERP's number
// for a lead customer created in the ERP since (a deal opened for it names
// it by its provisional code), else code itself.
func (db *DB) CustomerCodeNow(ctx context.Context, code string) (string, error) {
	if !strings.HasPrefix(code, ProvisionalPrefix) {
		return code, nil
	}
	var now string
	err := db.pool.QueryRow(ctx, `SELECT erp_code FROM customer_onboardings WHERE provisional_code = $1 AND erp_code <> ''`, code).Scan(&now)
	if errors.Is(err, pgx.ErrNoRows) {
		return code, nil
	}
	if err != nil {
		return code, fmt.Errorf("code of customer %s now: %w", code, err)
	}
	return now, nil
}

// NewCustomer is a customer as a sales assistant enters it.
type NewCustomer struct {
	Name          string `json:"name"`
	TaxID         string `json:"tax_id"`
	Address       string `json:"address"`
	ContactName   string `json:"contact_name,omitempty"`
	Phone         string `json:"phone,omitempty"`
	PaymentTerms  string `json:"payment_terms"`
	MinDiscountBP int64  `json:"min_discount_bp"`
	CreditLimit   *int64 `json:"credit_limit,omitempty"` // minor units
	Currency      string `json:"currency"`
	ValueClass    string `json:"value_class,omitempty"`
	SalesOwner    string `json:"sales_owner,omitempty"`
	// ImportCode is the code an imported row gave the customer.
	ImportCode string `json:"import_code,omitempty"`
}

// Duplicate is the customer a new one would duplicate, and on what.
type Duplicate struct {
	Code string `json:"code"`
	Name string `json:"name"`
	On   string `json:"on"` // tax_id or name
}

// DuplicateError is a new customer refused as a duplicate of another.
type DuplicateError struct{ Duplicate }

func (e *DuplicateError) Error() string {
	if e.On == "tax_id" {
		return fmt.Sprintf("tax ID already held by customer %s (%s)", e.Code, e.Name)
	}
	return fmt.Sprintf("customer %s (%s) has the same name", e.Code, e.Name)
}

// CustomerDuplicate finds the customer (active, pending or being entered) with
// taxID, or whose name is the same company as name (company_key: full-width
// and half-width, spacing, 有限公司/有限责任公司 and "Co., Ltd." forms); nil
// when there is none. Both look-ups use an index.
func (db *DB) CustomerDuplicate(ctx context.Context, taxID, name string) (*Duplicate, error) {
	var d Duplicate
	err := db.q(ctx).QueryRow(ctx, `
		SELECT code, name, 'tax_id' FROM customers WHERE $1 <> '' AND tax_id = $1 AND status <> 'rejected'
		UNION ALL
		SELECT code, name, 'name' FROM customers WHERE company_key(name) = company_key($2) AND status <> 'rejected'
		LIMIT 1`, strings.ToUpper(strings.TrimSpace(taxID)), name).Scan(&d.Code, &d.Name, &d.On)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look for a duplicate of %q: %w", name, err)
	}
	return &d, nil
}

// Onboarding is a request to add a customer, and what became of it.
type Onboarding struct {
	ID              int64           `json:"id"`
	ProvisionalCode string          `json:"provisional_code"`
	RequestedBy     string          `json:"requested_by"`
	Request         json.RawMessage `json:"request"`
	CaseID          string          `json:"case_id"`
	Status          string          `json:"status"`
	ERPCode         string          `json:"erp_code,omitempty"`
	Detail          string          `json:"detail,omitempty"`
	ImportID        *int64          `json:"import_id,omitempty"`
	RequestedAt     time.Time       `json:"requested_at"`
	FinishedAt      *time.Time      `json:"finished_at,omitempty"`
}

// Statuses of an onboarding request. In review and approved are open.
const (
	OnboardingInReview  = contract.OnboardingInReview
	OnboardingApproved  = contract.OnboardingApproved
	OnboardingCreated   = contract.OnboardingCreated
	OnboardingRejected  = contract.OnboardingRejected
	OnboardingWithdrawn = contract.OnboardingWithdrawn
	OnboardingFailed    = contract.OnboardingFailed
)

// OnboardingCreate records a new customer as pending, with its request, unless
// it duplicates a customer (*DuplicateError, and nothing is written). Requests
// are taken one at a time (an advisory lock), so two at once cannot both pass
// the duplicate check. caseID derives the case's ID from the provisional code.
// It joins the transaction of InTxAudited.
func (db *DB) OnboardingCreate(ctx context.Context, nc NewCustomer, by string, at time.Time, importID *int64,
	caseID func(code string) string) (Onboarding, error) {
	o := Onboarding{RequestedBy: by, Status: OnboardingInReview, ImportID: importID, RequestedAt: at}
	err := db.txIn(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('l2c.customer_onboarding'))`); err != nil {
			return err
		}
		dup, err := db.CustomerDuplicate(context.WithValue(ctx, txKey{}, tx), nc.TaxID, nc.Name)
		if err != nil {
			return err
		}
		if dup != nil {
			return &DuplicateError{*dup}
		}
		var n int64
		if err := tx.QueryRow(ctx, `SELECT nextval('customer_onboarding_code_seq')`).Scan(&n); err != nil {
			return err
		}
		o.ProvisionalCode = fmt.Sprintf("%s%06d", ProvisionalPrefix, n)
		o.CaseID = caseID(o.ProvisionalCode)
		var owner *string
		if nc.SalesOwner != "" {
			owner = &nc.SalesOwner
		}
		if _, err := tx.Exec(ctx, `INSERT INTO customers (code, name, tax_id, address, contact_name, phone, payment_terms,
			min_discount_bp, credit_limit, currency, value_class, sales_owner, source, status)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'manual', 'pending')`, o.ProvisionalCode, nc.Name,
			strings.ToUpper(nc.TaxID), nc.Address, nc.ContactName, nc.Phone, nc.PaymentTerms, nc.MinDiscountBP, nc.CreditLimit,
			nc.Currency, nc.ValueClass, owner); err != nil {
			return err
		}
		o.Request, _ = json.Marshal(nc)
		return tx.QueryRow(ctx, `INSERT INTO customer_onboardings (provisional_code, requested_by, request, case_id, status,
			import_id, requested_at) VALUES ($1, $2, $3, $4, 'in_review', $5, $6) RETURNING id`, o.ProvisionalCode, by, o.Request,
			o.CaseID, importID, at).Scan(&o.ID)
	})
	var de *DuplicateError
	if errors.As(err, &de) {
		return o, de
	}
	if err != nil {
		return o, fmt.Errorf("record new customer %q: %w", nc.Name, err)
	}
	return o, nil
}

const onboardingSelect = `SELECT id, provisional_code, requested_by, request, case_id, status, erp_code, detail, import_id,
	requested_at, finished_at FROM customer_onboardings`

// OnboardingGet reads one request; ErrNotFound if there is none.
func (db *DB) OnboardingGet(ctx context.Context, id int64) (Onboarding, error) {
	rows, _ := db.pool.Query(ctx, onboardingSelect+` WHERE id = $1`, id)
	o, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[Onboarding])
	if err != nil {
		return o, fmt.Errorf("onboarding %d: %w", id, notFound(err))
	}
	o.RequestedAt = o.RequestedAt.UTC()
	return o, nil
}

// OnboardingFinish moves a request to status with its audit entry, once. A
// request approved and created in the ERP (erpCode) makes the customer
// active under the ERP's number: the ERP's row (which the create refreshed)
// takes what l2c knew that the ERP does not (sales owner, value class,
// contact), deals of the lead customer name it by that number, and the
// provisional row goes. Rejected or withdrawn, the customer stays, rejected.
func (db *DB) OnboardingFinish(ctx context.Context, id int64, status, detail, erpCode string, chain audit.Chain, entry audit.Entry) error {
	var finished *time.Time
	if status != OnboardingApproved {
		finished = &entry.At
	}
	return db.onceAudited(ctx, fmt.Sprintf("onboarding %d to %s", id, status), chain, entry, func(tx pgx.Tx) (bool, error) {
		var prov string
		err := tx.QueryRow(ctx, `UPDATE customer_onboardings SET status = $2, detail = $3, erp_code = $4, finished_at = $5
			WHERE id = $1 AND status <> $2 AND status IN ('in_review', 'approved') RETURNING provisional_code`,
			id, status, detail, erpCode, finished).Scan(&prov)
		if done, err := found(err); !done {
			return false, err // done before: a retry
		}
		switch {
		case status == OnboardingCreated:
			if _, err := tx.Exec(ctx, `INSERT INTO customers (code, name, tax_id, address, contact_name, phone, payment_terms,
				min_discount_bp, credit_limit, currency, value_class, sales_owner, source, status)
				SELECT $2, name, tax_id, address, contact_name, phone, payment_terms, min_discount_bp, credit_limit, currency,
					value_class, sales_owner, 'erp', 'active' FROM customers WHERE code = $1
				ON CONFLICT (code) DO UPDATE SET status = 'active',
					sales_owner = coalesce(customers.sales_owner, EXCLUDED.sales_owner),
					value_class = CASE WHEN customers.value_class = '' THEN EXCLUDED.value_class ELSE customers.value_class END,
					contact_name = CASE WHEN customers.contact_name = '' THEN EXCLUDED.contact_name ELSE customers.contact_name END,
					address = CASE WHEN customers.address = '' THEN EXCLUDED.address ELSE customers.address END,
					updated_at = now()`, prov, erpCode); err != nil {
				return false, err
			}
			if _, err := tx.Exec(ctx, `UPDATE deals SET customer_code = $2 WHERE customer_code = $1`, prov, erpCode); err != nil {
				return false, err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM customers WHERE code = $1`, prov); err != nil {
				return false, err
			}
		case status != OnboardingApproved:
			if _, err := tx.Exec(ctx, `UPDATE customers SET status = 'rejected', updated_at = now() WHERE code = $1`, prov); err != nil {
				return false, err
			}
		}
		return true, nil
	})
}

// CustomersSameCompany finds, for each of names, a customer that is the same
// company (company_key), keyed by the name as given.
func (db *DB) CustomersSameCompany(ctx context.Context, names []string) (map[string]Duplicate, error) {
	out := map[string]Duplicate{}
	if len(names) == 0 {
		return out, nil
	}
	rows, err := db.pool.Query(ctx, `SELECT DISTINCT ON (n) n, c.code, c.name FROM unnest($1::text[]) n
		JOIN customers c ON company_key(c.name) = company_key(n) AND c.status <> 'rejected' ORDER BY n, c.code`, names)
	if err != nil {
		return nil, fmt.Errorf("customers of the same company: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		d := Duplicate{On: "name"}
		if err := rows.Scan(&n, &d.Code, &d.Name); err != nil {
			return nil, fmt.Errorf("customers of the same company: %w", err)
		}
		out[n] = d
	}
	return out, rows.Err()
}
