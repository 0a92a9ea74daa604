package database

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/money"
)

// Reading the customer master, as the viewer may see it. Who sees what is
// decided here, in SQL, so a list is filtered by the database and a customer
// the viewer may not see is, to them, one that does not exist:
//
//   - the whole customer, commercial terms included: finance, market
//     management and admins (Viewer.All); the owning rep; sales managers and
//     assistants for the customers of their team's reps, and managers for
//     those of their direct reports (Viewer.Team, Viewer.Manager, as for
//     deals); and customers nobody owns yet to sales managers and assistants,
//     who are the ones to assign them (Viewer.Unowned);
//   - the customer without its terms: anyone named as delivery or payment
//     owner on one of the customer's deals (the delivery team and collectors);
//   - the receivables: everyone who sees the terms, and the payment owners of
//     the customer's deals.
//
// Sight never follows from a deal its viewer created, owns as sales or
// discovered: naming oneself delivery or payment owner on one's own deal must
// not open someone else's customer (deal.SegregationOfDuties refuses that
// too, but deals from before may carry it).
//
// The predicates take the viewer as $1..$5 (customerArgs) and read the
// customer as alias c. Team and deal membership are uncorrelated IN
// subqueries: PostgreSQL computes each once per query, not once per row.

// customerEntitled: the viewer sees the whole customer, terms included.
const customerEntitled = `(($2 OR c.sales_owner = $1 OR ($5 AND c.sales_owner IS NULL)
	OR c.sales_owner IN (SELECT o.id FROM users o WHERE ($3 <> '' AND o.team = $3) OR ($4 AND o.manager_id = $1)))
	IS TRUE)`

// customerNamed: the viewer delivers or collects one of the customer's deals.
const customerNamed = `(c.code IN (SELECT d.customer_code FROM deals d WHERE (d.delivery_owner = $1 OR d.payment_owner = $1)
	AND d.created_by <> $1 AND d.sales_owner <> $1 AND d.discoverer <> $1))`

// customerCollects: the viewer collects one of the customer's deals: is
// its payment owner without having created, sold or discovered it. Read
// from collector_customers (migration 00137), those deals' customers per
// payment owner kept by triggers on deals, so a collector named on a
// hundred thousand deals reads their customers, not the deals.
const customerCollects = `(c.code IN (SELECT k.customer_code FROM collector_customers k WHERE k.payment_owner = $1))`

func (v Viewer) customerArgs() []any { return []any{v.ID, v.All, v.Team, v.Manager, v.Unowned} }

// CustomerView is a customer as the API shows it.
type CustomerView struct {
	Code        string `json:"code"`
	Name        string `json:"name"`
	TaxID       string `json:"tax_id"`
	Address     string `json:"address"`
	ContactName string `json:"contact_name"`
	Phone       string `json:"phone"`
	Currency    string `json:"currency"`
	ValueClass  string `json:"value_class"` // A, B, C or "" when not ranked
	SalesOwner  string `json:"sales_owner"` // "" when nobody owns the customer yet
	Blocked     bool   `json:"blocked"`
	Source      string `json:"source"`
	// Status: active, pending (a lead customer awaiting approval: quotes,
	// no orders) or rejected.
	Status    string    `json:"status"`
	UpdatedAt time.Time `json:"updated_at"`
	// Terms is nil for a viewer who sees the customer only through a deal
	// they deliver or collect: the database does not even return them.
	Terms *CustomerTerms `json:"terms,omitempty"`
}

// CustomerTerms are a customer's commercial terms; nil pointers are terms not set.
type CustomerTerms struct {
	PaymentTerms  string        `json:"payment_terms"`
	MinDiscountBP *int64        `json:"min_discount_bp"` // share of list price, basis points
	CreditLimit   *money.Amount `json:"credit_limit"`
}

// customerSelect reads CustomerView's columns; the terms only when the viewer
// is entitled to them.
const customerSelect = `SELECT c.code, c.name, c.tax_id, c.address, c.contact_name, c.phone, c.currency,
	c.value_class, coalesce(c.sales_owner, ''), c.blocked, c.source, c.status, c.updated_at, v.entitled,
	CASE WHEN v.entitled THEN c.payment_terms END, CASE WHEN v.entitled THEN c.min_discount_bp END,
	CASE WHEN v.entitled THEN c.credit_limit END
	FROM customers c CROSS JOIN LATERAL (SELECT ` + customerEntitled + ` AS entitled) v`

func scanCustomerView(row pgx.Row) (CustomerView, error) {
	var c CustomerView
	var entitled bool
	var terms *string
	var minDiscount, creditLimit *int64
	err := row.Scan(&c.Code, &c.Name, &c.TaxID, &c.Address, &c.ContactName, &c.Phone, &c.Currency, &c.ValueClass,
		&c.SalesOwner, &c.Blocked, &c.Source, &c.Status, &c.UpdatedAt, &entitled, &terms, &minDiscount, &creditLimit)
	if err != nil {
		return CustomerView{}, err
	}
	c.UpdatedAt = c.UpdatedAt.UTC()
	if entitled {
		c.Terms = &CustomerTerms{MinDiscountBP: minDiscount}
		if terms != nil {
			c.Terms.PaymentTerms = *terms
		}
		if creditLimit != nil {
			l := money.Amount(*creditLimit)
			c.Terms.CreditLimit = &l
		}
	}
	return c, nil
}

// CustomerFilter narrows a customer list. Zero values match everything.
type CustomerFilter struct {
	// Viewer is who is asking; the list holds only customers they may see.
	Viewer Viewer
	// Owner is the sales owner's user ID.
	Owner string
	// Query matches a substring of the name or the code, ignoring case.
	Query string
	// Class is the value class: A, B or C.
	Class string
	// Blocked, when set, keeps only blocked (or only unblocked) customers.
	Blocked *bool
	// After is the keyset cursor: the last code of the previous page.
	After string
	// Limit is the page size; 0 means 100.
	Limit int
}

// CustomerList returns the customers v may see, in code order, a page at a time.
func (db *DB) CustomerList(ctx context.Context, f CustomerFilter) ([]CustomerView, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	return queryList(ctx, db.pool, "list customers", func(r pgx.CollectableRow) (CustomerView, error) { return scanCustomerView(r) }, customerSelect+`
		WHERE (v.entitled OR `+customerNamed+`)
		  AND ($6 = '' OR c.sales_owner = $6)
		  AND ($7 = '' OR strpos(lower(c.name), lower($7)) > 0 OR strpos(lower(c.code), lower($7)) > 0)
		  AND ($8 = '' OR c.value_class = $8)
		  AND ($9::boolean IS NULL OR c.blocked = $9)
		  AND c.code > $10
		ORDER BY c.code LIMIT $11`,
		append(f.Viewer.customerArgs(), f.Owner, f.Query, f.Class, f.Blocked, f.After, f.Limit)...)
}

// CustomerGet reads the customer with code as v may see it: ErrNotFound when
// there is none or v may not see it.
func (db *DB) CustomerGet(ctx context.Context, code string, v Viewer) (CustomerView, error) {
	c, err := scanCustomerView(db.pool.QueryRow(ctx, customerSelect+`
		WHERE c.code = $6 AND (v.entitled OR `+customerNamed+`)`, append(v.customerArgs(), code)...))
	if err != nil {
		return CustomerView{}, fmt.Errorf("get customer %s: %w", code, notFound(err))
	}
	return c, nil
}

// Receivables is a customer's account as the ERP reports it: their invoices,
// each with what has been paid against it and what is still open.
type Receivables struct {
	CustomerCode string              `json:"customer_code"`
	Invoices     []ReceivableInvoice `json:"invoices"`
	// Totals sums the invoices that are not cancelled, one line per currency.
	Totals []ReceivableTotal `json:"totals"`
}

// ReceivableInvoice is one ERP invoice and the payments that clear it.
type ReceivableInvoice struct {
	Number     string       `json:"number"`
	SalesOrder string       `json:"sales_order,omitempty"`
	Currency   string       `json:"currency"`
	Amount     money.Amount `json:"amount"`
	IssuedOn   deal.Date    `json:"issued_on"`
	DueOn      deal.Date    `json:"due_on"`
	Cancelled  bool         `json:"cancelled"`
	DealID     string       `json:"deal_id,omitempty"`
	// Paid sums the payments in the invoice's currency; Open is what is left,
	// never below zero, and zero for a cancelled invoice.
	Paid     money.Amount        `json:"paid"`
	Open     money.Amount        `json:"open"`
	Payments []ReceivablePayment `json:"payments"`
}

// ReceivablePayment is money received against an invoice.
type ReceivablePayment struct {
	Reference  string       `json:"reference"`
	Amount     money.Amount `json:"amount"`
	Currency   string       `json:"currency"`
	ReceivedOn deal.Date    `json:"received_on"`
}

// ReceivableTotal is a customer's invoiced, paid and open amounts in one
// currency. Paid counts no more than each invoice's amount, so Invoiced is
// always Paid plus Open.
type ReceivableTotal struct {
	Currency string       `json:"currency"`
	Invoiced money.Amount `json:"invoiced"`
	Paid     money.Amount `json:"paid"`
	Open     money.Amount `json:"open"`
}

// CustomerReceivables reads the invoices of the customer with code, oldest due
// first, with the payments cleared against each, as of one snapshot:
// ErrNotFound when there is no such customer or v may not see its receivables.
// Payments that name no invoice of the customer are not shown: matching them
// by customer would need an index on erp_payments (customer_code).
func (db *DB) CustomerReceivables(ctx context.Context, code string, v Viewer) (Receivables, error) {
	out := Receivables{CustomerCode: code, Invoices: []ReceivableInvoice{}, Totals: []ReceivableTotal{}}
	err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly},
		func(tx pgx.Tx) error {
			var ok bool
			err := tx.QueryRow(ctx, `SELECT (`+customerEntitled+` OR `+customerCollects+`) IS TRUE
				FROM customers c WHERE c.code = $6`, append(v.customerArgs(), code)...).Scan(&ok)
			if err != nil {
				return notFound(err)
			}
			if !ok {
				return ErrNotFound
			}
			invoices, err := queryList(ctx, tx, "invoices", func(r pgx.CollectableRow) (i ReceivableInvoice, err error) {
				var amount int64
				var issued, due time.Time
				err = r.Scan(&i.Number, &i.SalesOrder, &i.Currency, &amount, &issued, &due, &i.Cancelled, &i.DealID)
				i.Amount, i.IssuedOn, i.DueOn, i.Payments = money.Amount(amount), dateOf(issued), dateOf(due),
					[]ReceivablePayment{}
				return i, err
			}, `SELECT number, sales_order, currency, amount, issued_on, due_on, cancelled, coalesce(deal_id, '')
				FROM erp_invoices WHERE customer_code = $1 ORDER BY due_on, number`, code)
			if err != nil {
				return err
			}
			type payment struct {
				invoice string
				ReceivablePayment
			}
			payments, err := queryList(ctx, tx, "payments", func(r pgx.CollectableRow) (p payment, err error) {
				var amount int64
				var on time.Time
				err = r.Scan(&p.invoice, &p.Reference, &amount, &p.Currency, &on)
				p.Amount, p.ReceivedOn = money.Amount(amount), dateOf(on)
				return p, err
			}, `SELECT p.invoice_no, p.reference, p.amount, p.currency, p.received_on
				FROM erp_invoices i JOIN erp_payments p ON p.invoice_no = i.number
				WHERE i.customer_code = $1 ORDER BY p.received_on, p.reference`, code)
			if err != nil {
				return err
			}
			byNumber := make(map[string]*ReceivableInvoice, len(invoices))
			for i := range invoices {
				byNumber[invoices[i].Number] = &invoices[i]
			}
			for _, p := range payments {
				inv := byNumber[p.invoice]
				inv.Payments = append(inv.Payments, p.ReceivablePayment)
				if p.Currency == inv.Currency {
					inv.Paid += p.Amount
				}
			}
			totals := map[string]int{} // currency → index in out.Totals
			for i := range invoices {
				inv := &invoices[i]
				if inv.Cancelled {
					continue
				}
				inv.Open = max(inv.Amount-inv.Paid, 0)
				n, seen := totals[inv.Currency]
				if !seen {
					n = len(out.Totals)
					totals[inv.Currency] = n
					out.Totals = append(out.Totals, ReceivableTotal{Currency: inv.Currency})
				}
				t := &out.Totals[n]
				t.Invoiced += inv.Amount
				t.Paid += min(inv.Paid, inv.Amount)
				t.Open += inv.Open
			}
			out.Invoices = invoices
			return nil
		})
	if err != nil {
		return Receivables{}, fmt.Errorf("receivables of customer %s: %w", code, err)
	}
	return out, nil
}

// DealCustomer is what a deal needs of its customer from l2c's customer master.
type DealCustomer struct {
	Code, Name   string
	PaymentTerms string
	// MinDiscountBP is the approved minimum discount; nil when none is recorded.
	MinDiscountBP *int64
}

// CustomerForDeal reads the customer a new deal names, as v may use it: only a
// customer whose whole record (terms included) v may see. There being no
// such customer and v not seeing it are the same ErrNotFound, so naming a
// customer reveals nothing about it.
func (db *DB) CustomerForDeal(ctx context.Context, code string, v Viewer) (DealCustomer, error) {
	var c DealCustomer
	err := db.pool.QueryRow(ctx, `SELECT c.code, c.name, c.payment_terms, c.min_discount_bp FROM customers c
		WHERE c.code = $6 AND `+customerEntitled, append(v.customerArgs(), code)...).
		Scan(&c.Code, &c.Name, &c.PaymentTerms, &c.MinDiscountBP)
	if err != nil {
		return DealCustomer{}, fmt.Errorf("customer %s for a deal: %w", code, notFound(err))
	}
	return c, nil
}

// CustomerTermsOf reads the approved terms of the customer with code, for the
// rules of a deal on it (the deal's visibility was checked already):
// ErrNotFound when l2c does not know the customer.
func (db *DB) CustomerTermsOf(ctx context.Context, code string) (DealCustomer, error) {
	var c DealCustomer
	err := db.pool.QueryRow(ctx, `SELECT code, name, payment_terms, min_discount_bp FROM customers WHERE code = $1`, code).
		Scan(&c.Code, &c.Name, &c.PaymentTerms, &c.MinDiscountBP)
	if err != nil {
		return DealCustomer{}, fmt.Errorf("terms of customer %s: %w", code, notFound(err))
	}
	return c, nil
}

// CustomerTermsVisible reports whether v may see the commercial terms of the
// customer with code (the minimum discount a quote records is one of them).
func (db *DB) CustomerTermsVisible(ctx context.Context, code string, v Viewer) (bool, error) {
	return queryValue[bool](ctx, db.pool, "terms of customer "+code+" visible", `SELECT EXISTS (SELECT 1 FROM customers c WHERE c.code = $6 AND `+customerEntitled+`)`,
		append(v.customerArgs(), code)...)
}
