package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/l2c/l2c/connectors"
	"github.com/l2c/l2c/internal/database"
)

// Write-backs: approved customer terms, new customers and orders go to the ERP
// through these activities. Each one reads back before and after it writes, so
// a retry (Temporal retries activities) never writes twice: a create is found
// by its idempotency key, an update is recognised as already applied.

// CustomerTerms are the commercial terms to write; nil fields stay as they are.
type CustomerTerms struct {
	PaymentTerms  *string `json:"payment_terms,omitempty"`
	MinDiscountBP *int64  `json:"min_discount_bp,omitempty"`
	CreditLimit   *int64  `json:"credit_limit,omitempty"`
}

func (t CustomerTerms) connector() connectors.Terms {
	return connectors.Terms{PaymentTerms: t.PaymentTerms, MinDiscountBP: t.MinDiscountBP, CreditLimit: t.CreditLimit}
}

// appliedTo reports whether c already has every term t sets.
func (t CustomerTerms) appliedTo(c connectors.Customer) bool {
	eq := func(a, b *int64) bool { return a == nil || (b != nil && *a == *b) }
	return (t.PaymentTerms == nil || *t.PaymentTerms == c.PaymentTerms) &&
		eq(t.MinDiscountBP, c.MinDiscountBP) && eq(t.CreditLimit, c.CreditLimit)
}

// WriteCustomerTermsInput is an approved change of terms.
type WriteCustomerTermsInput struct {
	Code string
	// ETag is the version of the customer the change was approved against
	// (customers.erp_etag when the request was made). If the ERP's customer
	// has changed since, the write is refused as a conflict: people approved
	// a change to something that is no longer there. Empty: write against
	// whatever the ERP holds now.
	ETag  string
	Terms CustomerTerms
}

// WriteCustomerTermsResult is the customer as the ERP holds it afterwards.
type WriteCustomerTermsResult struct {
	ETag      string
	ChangedAt time.Time
}

// WriteCustomerTerms writes approved terms with optimistic concurrency. A
// stale ETag is a non-retryable ERPConflict and changes nothing; the customer
// row in l2c is refreshed from the ERP's read-back, in either case.
func (a *ERP) WriteCustomerTerms(ctx context.Context, in WriteCustomerTermsInput) (WriteCustomerTermsResult, error) {
	conn, err := a.conn()
	if err != nil {
		return WriteCustomerTermsResult{}, err
	}
	cur, err := conn.Customer(ctx, in.Code)
	if err != nil {
		return WriteCustomerTermsResult{}, erpError(err)
	}
	if in.Terms.appliedTo(cur) {
		// Written by an earlier attempt whose answer was lost (or already so).
		return a.termsDone(ctx, cur)
	}
	etag := in.ETag
	if etag == "" {
		etag = cur.ETag
	}
	if etag != cur.ETag {
		if err := a.refresh(ctx, cur); err != nil {
			return WriteCustomerTermsResult{}, err
		}
		return WriteCustomerTermsResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("customer %s was changed in the ERP after the terms were approved; review the change again", in.Code),
			ErrTypeERPConflict, nil)
	}
	after, err := conn.UpdateCustomerTerms(ctx, in.Code, etag, in.Terms.connector())
	if errors.Is(err, connectors.ErrConflict) {
		// Someone saved the customer between our read and our write.
		if now, rerr := conn.Customer(ctx, in.Code); rerr == nil {
			if in.Terms.appliedTo(now) {
				return a.termsDone(ctx, now)
			}
			if err := a.refresh(ctx, now); err != nil {
				return WriteCustomerTermsResult{}, err
			}
		}
		return WriteCustomerTermsResult{}, erpError(err)
	}
	if err != nil {
		return WriteCustomerTermsResult{}, erpError(err)
	}
	if !in.Terms.appliedTo(after) {
		return WriteCustomerTermsResult{}, fmt.Errorf("customer %s: the ERP accepted the terms but reads back %q/%v/%v",
			in.Code, after.PaymentTerms, after.MinDiscountBP, after.CreditLimit)
	}
	return a.termsDone(ctx, after)
}

func (a *ERP) termsDone(ctx context.Context, c connectors.Customer) (WriteCustomerTermsResult, error) {
	if err := a.refresh(ctx, c); err != nil {
		return WriteCustomerTermsResult{}, err
	}
	return WriteCustomerTermsResult{ETag: c.ETag, ChangedAt: c.ChangedAt}, nil
}

// refresh stores the ERP's view of one customer in l2c straight away, rather
// than waiting for the next sync.
func (a *ERP) refresh(ctx context.Context, c connectors.Customer) error {
	if c.Code == "" || c.Name == "" {
		// An ERP that answers later (an exchange folder) has no record yet.
		return nil
	}
	_, err := a.DB.CustomersUpsert(ctx, []database.Customer{customerRow(c).row}, nil)
	return err
}

// CreateERPCustomerInput is an approved new customer. Key identifies the
// request (e.g. the approval's workflow ID) across retries; FirstSent is when
// the workflow first asked (workflow time).
type CreateERPCustomerInput struct {
	Key        string
	FirstSent  time.Time
	Name       string
	TaxID      string
	Street     string
	City       string
	PostalCode string
	Country    string
	Phone      string
	Currency   string
	Terms      CustomerTerms
}

// CreateERPCustomerResult names the customer the ERP created.
type CreateERPCustomerResult struct {
	Code string
	ETag string
}

// CreateERPCustomer creates the customer unless a previous attempt did.
func (a *ERP) CreateERPCustomer(ctx context.Context, in CreateERPCustomerInput) (CreateERPCustomerResult, error) {
	conn, err := a.conn()
	if err != nil {
		return CreateERPCustomerResult{}, err
	}
	c, err := conn.CustomerByKey(ctx, in.Key)
	if errors.Is(err, connectors.ErrNotFound) {
		pt := ""
		if in.Terms.PaymentTerms != nil {
			pt = *in.Terms.PaymentTerms
		}
		c, err = conn.CreateCustomer(ctx, connectors.Idempotency{Key: in.Key, FirstSent: in.FirstSent},
			connectors.NewCustomer{Name: in.Name, TaxID: in.TaxID, Street: in.Street, City: in.City,
				PostalCode: in.PostalCode, Country: in.Country, Phone: in.Phone, Currency: orCNY(in.Currency),
				PaymentTerms: pt, Terms: in.Terms.connector()})
	}
	if err != nil {
		return CreateERPCustomerResult{}, erpError(err)
	}
	if err := a.refresh(ctx, c); err != nil {
		return CreateERPCustomerResult{}, err
	}
	return CreateERPCustomerResult{Code: c.Code, ETag: c.ETag}, nil
}

// CreateSalesOrderInput is an order to place for a deal. CustomerRef (the
// contract number) identifies it in the ERP; Key identifies the request.
type CreateSalesOrderInput struct {
	Key               string
	FirstSent         time.Time
	Customer          string
	CustomerRef       string
	Currency          string
	RequestedDelivery time.Time
	Items             []SalesOrderItem
}

// SalesOrderItem is one line: material, quantity, and net price per unit in
// minor units (0 leaves pricing to the ERP).
type SalesOrderItem struct {
	Material string
	Quantity int64
	Unit     string
	NetPrice int64
}

// CreateSalesOrderResult names the order the ERP holds.
type CreateSalesOrderResult struct {
	Number   string
	NetValue int64
}

// CreateSalesOrder places the order unless the customer already has one under
// the same reference (placed by an earlier attempt).
func (a *ERP) CreateSalesOrder(ctx context.Context, in CreateSalesOrderInput) (CreateSalesOrderResult, error) {
	conn, err := a.conn()
	if err != nil {
		return CreateSalesOrderResult{}, err
	}
	defer beating(ctx)()
	so, err := conn.FindSalesOrder(ctx, in.Customer, in.CustomerRef)
	if errors.Is(err, connectors.ErrNotFound) {
		o := connectors.NewSalesOrder{Customer: in.Customer, CustomerRef: in.CustomerRef, Currency: orCNY(in.Currency),
			RequestedDelivery: in.RequestedDelivery}
		for _, it := range in.Items {
			o.Items = append(o.Items, connectors.OrderItem{Material: it.Material, Quantity: it.Quantity, Unit: it.Unit,
				NetPrice: it.NetPrice})
		}
		so, err = conn.CreateSalesOrder(ctx, connectors.Idempotency{Key: in.Key, FirstSent: in.FirstSent}, o)
	}
	if err != nil {
		return CreateSalesOrderResult{}, erpError(err)
	}
	return CreateSalesOrderResult{Number: so.Number, NetValue: so.NetValue}, nil
}

// ShipmentRecord is a delivery the ERP made against an order.
type ShipmentRecord struct {
	Number    string
	ShippedOn time.Time
	Final     bool
}

// ReadShipments lists the deliveries of a sales order.
func (a *ERP) ReadShipments(ctx context.Context, salesOrder string) ([]ShipmentRecord, error) {
	conn, err := a.conn()
	if err != nil {
		return nil, err
	}
	ships, err := conn.Shipments(ctx, salesOrder)
	if err != nil {
		return nil, erpError(err)
	}
	out := make([]ShipmentRecord, len(ships))
	for i, s := range ships {
		out[i] = ShipmentRecord{Number: s.Number, ShippedOn: s.ShippedOn, Final: s.Final}
	}
	return out, nil
}
