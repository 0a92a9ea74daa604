package sap

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/l2c/l2c/connectors"
)

// Invoices are billing documents (API_BILLING_DOCUMENT_SRV, A_BillingDocument
// with its items, whose SalesDocument names the order they bill). Payments are
// the cleared receivable line items of those billing documents
// (API_OPLACCTGDOCITEMCUBE_SRV, A_OperationalAcctgDocItemCube): the clearing
// document is the incoming payment, DocumentReferenceID the billing document.

// BillingDocument is an A_BillingDocument row with its items.
type BillingDocument struct {
	Meta                       Meta                          `json:"__metadata"`
	BillingDocument            string                        `json:"BillingDocument"`
	SDDocumentCategory         string                        `json:"SDDocumentCategory"`
	BillingDocumentType        string                        `json:"BillingDocumentType"`
	BillingDocumentDate        *string                       `json:"BillingDocumentDate"`
	TotalNetAmount             string                        `json:"TotalNetAmount"`
	TaxAmount                  string                        `json:"TaxAmount"`
	TransactionCurrency        string                        `json:"TransactionCurrency"`
	SoldToParty                string                        `json:"SoldToParty"`
	CustomerPaymentTerms       string                        `json:"CustomerPaymentTerms"`
	BillingDocumentIsCancelled bool                          `json:"BillingDocumentIsCancelled"`
	LastChangeDateTime         *string                       `json:"LastChangeDateTime"`
	Items                      Deferred[BillingDocumentItem] `json:"to_Item"`
}

// BillingDocumentItem is A_BillingDocumentItem, reduced to the order it bills.
type BillingDocumentItem struct {
	BillingDocumentItem string `json:"BillingDocumentItem"`
	SalesDocument       string `json:"SalesDocument"`
}

var invoiceListing = listing{op: "GET A_BillingDocument", service: ServiceBillingDocument, path: "/A_BillingDocument",
	keys: []string{"BillingDocument"},
	query: func() url.Values {
		return url.Values{
			"$select": {"BillingDocument,SDDocumentCategory,BillingDocumentType,BillingDocumentDate,TotalNetAmount," +
				"TaxAmount,TransactionCurrency,SoldToParty,CustomerPaymentTerms,BillingDocumentIsCancelled," +
				"LastChangeDateTime,to_Item/BillingDocumentItem,to_Item/SalesDocument"},
			"$expand": {"to_Item"},
		}
	},
	changed: func(since time.Time, _ bool) string { return "LastChangeDateTime ge " + DateTimeOffsetLit(since) }}

// InvoicesChanged implements connectors.ChangeReader.
func (c *Client) InvoicesChanged(ctx context.Context, since time.Time, cursor string) (connectors.Page[connectors.Invoice], error) {
	return readPage(ctx, c, invoiceListing, since, cursor, func(r *row, b *BillingDocument, keys *keyTracker) string {
		scanBillingDocument(r, b)
		keys.see(b.BillingDocument)
		return b.BillingDocument
	}, c.toInvoice)
}

// toInvoice maps a billing document; ok is false for documents that are not
// bills to collect (cancellations, credit memos), which are skipped.
func (c *Client) toInvoice(b *BillingDocument) (connectors.Invoice, bool, error) {
	switch b.SDDocumentCategory {
	case "N", "S", "O": // cancellation of invoice, of credit memo; credit memo
		return connectors.Invoice{}, false, nil
	}
	out := connectors.Invoice{Number: b.BillingDocument, Customer: b.SoldToParty, Currency: b.TransactionCurrency,
		Cancelled: b.BillingDocumentIsCancelled}
	if out.Number == "" {
		return out, false, errors.New("billing document without a number")
	}
	if out.Customer == "" {
		return out, false, fmt.Errorf("billing document %s has no sold-to party", out.Number)
	}
	if len(out.Currency) != 3 {
		return out, false, fmt.Errorf("billing document %s: currency %q is not an ISO 4217 code", out.Number, out.Currency)
	}
	net, err := ParseDecimal(b.TotalNetAmount)
	if err != nil {
		return out, false, fmt.Errorf("billing document %s: TotalNetAmount: %w", out.Number, err)
	}
	tax := int64(0)
	if b.TaxAmount != "" {
		if tax, err = ParseDecimal(b.TaxAmount); err != nil {
			return out, false, fmt.Errorf("billing document %s: TaxAmount: %w", out.Number, err)
		}
	}
	out.Amount = net + tax
	if b.BillingDocumentDate == nil {
		return out, false, fmt.Errorf("billing document %s has no billing date", out.Number)
	}
	if out.IssuedOn, err = ParseDate(*b.BillingDocumentDate); err != nil {
		return out, false, fmt.Errorf("billing document %s: BillingDocumentDate: %w", out.Number, err)
	}
	out.DueOn = out.IssuedOn.AddDate(0, 0, c.dueDays(b.CustomerPaymentTerms))
	if b.LastChangeDateTime == nil {
		return out, false, fmt.Errorf("billing document %s has no LastChangeDateTime", out.Number)
	}
	if out.ChangedAt, err = ParseDate(*b.LastChangeDateTime); err != nil {
		return out, false, fmt.Errorf("billing document %s: LastChangeDateTime: %w", out.Number, err)
	}
	for _, it := range b.Items.Results {
		if it.SalesDocument != "" {
			out.SalesOrder = it.SalesDocument
			break
		}
	}
	return out, true, nil
}

// dueDays is the net days of a payment terms key.
func (c *Client) dueDays(terms string) int {
	if d, ok := c.cfg.PaymentTermsDays[terms]; ok {
		return d
	}
	if rest, ok := strings.CutPrefix(terms, "NT"); ok {
		if d, err := strconv.Atoi(rest); err == nil && d >= 0 {
			return d
		}
	}
	if terms == "0001" { // SAP's "payable immediately, due net"
		return 0
	}
	return c.cfg.DefaultDueDays
}

// ReceivableItem is an A_OperationalAcctgDocItemCube row: one customer line of
// an accounting document.
type ReceivableItem struct {
	CompanyCode                 string  `json:"CompanyCode"`
	FiscalYear                  string  `json:"FiscalYear"`
	AccountingDocument          string  `json:"AccountingDocument"`
	AccountingDocumentItem      string  `json:"AccountingDocumentItem"`
	AccountingDocumentType      string  `json:"AccountingDocumentType"`
	FinancialAccountType        string  `json:"FinancialAccountType"`
	Customer                    string  `json:"Customer"`
	DocumentReferenceID         string  `json:"DocumentReferenceID"`
	ClearingAccountingDocument  string  `json:"ClearingAccountingDocument"`
	ClearingDate                *string `json:"ClearingDate"`
	AmountInTransactionCurrency string  `json:"AmountInTransactionCurrency"`
	TransactionCurrency         string  `json:"TransactionCurrency"`
}

// PaymentsChanged implements connectors.ChangeReader: billing-document
// receivables cleared on or after since's day (ClearingDate is a date, so the
// whole day is read again; the sync skips what it already has).
func (c *Client) PaymentsChanged(ctx context.Context, since time.Time, cursor string) (connectors.Page[connectors.Payment], error) {
	l := listing{op: "GET A_OperationalAcctgDocItemCube", service: ServiceReceivables, path: "/A_OperationalAcctgDocItemCube",
		keys: []string{"DocumentReferenceID", "AccountingDocumentItem"},
		base: "FinancialAccountType eq 'D' and AccountingDocumentType eq 'RV' and ClearingAccountingDocument ne ''",
		query: func() url.Values {
			return url.Values{"$select": {"CompanyCode,FiscalYear,AccountingDocument,AccountingDocumentItem,AccountingDocumentType," +
				"FinancialAccountType,Customer,DocumentReferenceID,ClearingAccountingDocument,ClearingDate," +
				"AmountInTransactionCurrency,TransactionCurrency"}}
		},
		changed: func(since time.Time, _ bool) string {
			day, _ := SplitStamp(since, c.cfg.TimeZone)
			return "ClearingDate ge " + DateTimeLit(day)
		}}
	return readPage(ctx, c, l, since, cursor, func(r *row, v *ReceivableItem, keys *keyTracker) string {
		scanReceivable(r, v)
		keys.see(v.DocumentReferenceID, v.AccountingDocumentItem)
		return v.AccountingDocument
	}, func(v *ReceivableItem) (connectors.Payment, bool, error) {
		p, err := c.toPayment(v)
		return p, true, err
	})
}

func (c *Client) toPayment(r *ReceivableItem) (connectors.Payment, error) {
	key := r.ClearingAccountingDocument + "/" + r.DocumentReferenceID
	if r.ClearingAccountingDocument == "" || r.DocumentReferenceID == "" {
		return connectors.Payment{}, fmt.Errorf("receivable %s/%s: no clearing document or billing reference", r.AccountingDocument, r.FiscalYear)
	}
	p := connectors.Payment{Reference: key, InvoiceNo: r.DocumentReferenceID, Customer: r.Customer, Currency: r.TransactionCurrency}
	if len(p.Currency) != 3 {
		return p, fmt.Errorf("payment %s: currency %q is not an ISO 4217 code", key, p.Currency)
	}
	amt, err := ParseDecimal(r.AmountInTransactionCurrency)
	if err != nil {
		return p, fmt.Errorf("payment %s: AmountInTransactionCurrency: %w", key, err)
	}
	if amt < 0 {
		amt = -amt
	}
	p.Amount = amt
	if r.ClearingDate == nil {
		return p, fmt.Errorf("payment %s has no clearing date", key)
	}
	if p.ReceivedOn, err = ParseDate(*r.ClearingDate); err != nil {
		return p, fmt.Errorf("payment %s: ClearingDate: %w", key, err)
	}
	p.ChangedAt = p.ReceivedOn
	return p, nil
}
