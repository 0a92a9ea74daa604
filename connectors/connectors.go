package connectors

import (
	"context"
	"time"
)

// Entities l2c reads from the ERP on a schedule. They name sync checkpoints,
// schedules and runs.
const (
	EntityCustomers = "customers"
	EntityInvoices  = "invoices"
	EntityPayments  = "payments"
)

// Entities lists every synced entity, in the order a full sync should run them
// (invoices need customers, payments need invoices).
var Entities = []string{EntityCustomers, EntityInvoices, EntityPayments}

// ERP is everything l2c asks of an ERP. Callers should depend on the narrow
// parts they use.
type ERP interface {
	ChangeReader
	CustomerWriter
	OrderWriter
}

// ChangeReader lists records changed since a point in time, one page at a time.
//
// The first call passes the cursor "" and since; each later call passes the
// Next cursor of the page before (since is then ignored: the cursor carries the
// query). A page with Next == "" is the last. Cursors are the ERP's own
// server-driven paging links, so they stay valid while data changes, but they
// may expire: on ErrInvalid for a cursor, start again from since.
type ChangeReader interface {
	CustomersChanged(ctx context.Context, since time.Time, cursor string) (Page[Customer], error)
	InvoicesChanged(ctx context.Context, since time.Time, cursor string) (Page[Invoice], error)
	PaymentsChanged(ctx context.Context, since time.Time, cursor string) (Page[Payment], error)
}

// Acknowledger is implemented by connectors whose source must learn that what
// it handed out is stored: an exchange folder moves a file aside once every
// row of it is in l2c, so no file is read twice. The sync calls Acknowledge
// with the cursor it saved after each page is committed, and again when a run
// resumes from a saved cursor; it must be idempotent.
type Acknowledger interface {
	Acknowledge(ctx context.Context, entity, cursor string) error
}

// CustomerWriter creates customers and changes their commercial terms.
type CustomerWriter interface {
	// Customer reads one customer as the ERP holds it now.
	Customer(ctx context.Context, code string) (Customer, error)
	// CustomerByKey finds the customer created with the idempotency key, or
	// returns ErrNotFound: the read-back that makes a retried create safe.
	CustomerByKey(ctx context.Context, key string) (Customer, error)
	// CreateCustomer creates a customer. The key makes the create repeatable:
	// the ERP records it, and a second create with the same key returns the first.
	CreateCustomer(ctx context.Context, idem Idempotency, c NewCustomer) (Customer, error)
	// UpdateCustomerTerms changes a customer's commercial terms if the customer
	// is still at etag (optimistic concurrency). A stale etag is ErrConflict and
	// changes nothing. It returns the customer as read back after the change.
	UpdateCustomerTerms(ctx context.Context, code, etag string, t Terms) (Customer, error)
}

// OrderWriter places sales orders and reads what was shipped against them.
type OrderWriter interface {
	// FindSalesOrder finds the customer's order placed under customerRef (the
	// customer's purchase order or contract number), or returns ErrNotFound:
	// the read-back that makes a retried create safe.
	FindSalesOrder(ctx context.Context, customer, customerRef string) (SalesOrder, error)
	// CreateSalesOrder places an order; the key makes the create repeatable.
	CreateSalesOrder(ctx context.Context, idem Idempotency, o NewSalesOrder) (SalesOrder, error)
	// Shipments lists deliveries made against a sales order.
	Shipments(ctx context.Context, salesOrder string) ([]Shipment, error)
}

// OrderReader reads one sales order by its number: how l2c checks an order
// number a person typed before it trusts the ERP's records for that order.
// Connectors that cannot look orders up (the exchange folder) do not
// implement it.
type OrderReader interface {
	// ReadSalesOrder reads the order with number as the ERP holds it, or
	// returns ErrNotFound.
	ReadSalesOrder(ctx context.Context, number string) (SalesOrder, error)
}

// OrderConfirmations reads the delivery days the ERP confirms for an order's
// items. Connectors whose ERP cannot say (the exchange folder) do not
// implement it.
type OrderConfirmations interface {
	// ConfirmedDates returns each item's confirmed delivery day, in item
	// order (the order's lines as they were sent); zero where none is.
	ConfirmedDates(ctx context.Context, salesOrder string) ([]time.Time, error)
}

// Idempotency identifies one logical create across retries. Key is stable
// (derived from the workflow and step); FirstSent is when the first attempt was
// made and stays the same on every retry.
type Idempotency struct {
	Key       string
	FirstSent time.Time
}

// Page is one page of changed records.
type Page[T any] struct {
	Rows []T
	// Rejected are records on the page that could not be read (a missing key,
	// an amount that is not a number); the rest of the page is still good.
	Rejected []Rejected
	// Next is the cursor of the next page; "" on the last one.
	Next string
}

// Rejected is a record the connector could not turn into an l2c record.
type Rejected struct {
	Key    string // the ERP's key, when it could be read
	Reason string
}

// Customer is a customer as the ERP holds it.
type Customer struct {
	Code            string // the ERP's customer number
	BusinessPartner string // SAP's business partner number, when it differs
	Name            string
	TaxID           string
	Address         string
	Phone           string
	PaymentTerms    string
	MinDiscountBP   *int64 // share of list price, basis points; nil when the ERP has none
	CreditLimit     *int64 // minor units of Currency; nil when the ERP has none
	Currency        string
	Blocked         bool
	ChangedAt       time.Time // the ERP's last-change stamp, UTC
	ETag            string    // for UpdateCustomerTerms
}

// NewCustomer is a customer to create in the ERP.
type NewCustomer struct {
	Name         string
	TaxID        string
	Street       string
	City         string
	PostalCode   string
	Country      string // ISO 3166 alpha-2, CN by default
	Phone        string
	Currency     string
	PaymentTerms string
	Terms        Terms
}

// Terms are a customer's commercial terms; nil fields are left as they are.
type Terms struct {
	PaymentTerms  *string
	MinDiscountBP *int64
	CreditLimit   *int64
}

// Invoice is a billing document.
type Invoice struct {
	Number     string
	Customer   string // sold-to customer number
	SalesOrder string // the sales order it bills, if any
	Amount     int64  // gross, minor units of Currency
	Currency   string
	IssuedOn   time.Time // calendar day, at midnight UTC
	DueOn      time.Time // calendar day, at midnight UTC
	Cancelled  bool
	ChangedAt  time.Time
}

// Payment is money received that clears an invoice.
type Payment struct {
	Reference  string // unique per payment and invoice it clears
	InvoiceNo  string
	Customer   string
	Amount     int64 // minor units of Currency
	Currency   string
	ReceivedOn time.Time // calendar day, at midnight UTC
	ChangedAt  time.Time
}

// NewSalesOrder is an order to place in the ERP.
type NewSalesOrder struct {
	Customer          string
	CustomerRef       string // the customer's purchase order or contract number
	Currency          string
	RequestedDelivery time.Time // calendar day, at midnight UTC
	Items             []OrderItem
}

// OrderItem is one line of a sales order.
type OrderItem struct {
	Material string
	Quantity int64
	Unit     string
	// NetPrice is per unit in minor units; 0 leaves pricing to the ERP.
	NetPrice int64
}

// SalesOrder is an order as the ERP holds it.
type SalesOrder struct {
	Number      string
	Customer    string
	CustomerRef string
	NetValue    int64 // minor units of Currency
	Currency    string
}

// Shipment is a delivery against a sales order.
type Shipment struct {
	Number     string
	SalesOrder string
	ShippedOn  time.Time // goods issue day; zero while not yet shipped
	Final      bool      // the order is completely delivered
}
