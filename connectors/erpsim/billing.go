package erpsim

import (
	"fmt"
	"time"

	"github.com/l2c/l2c/connectors/sap"
	"github.com/l2c/l2c/connectors/simulation"
)

// API_BILLING_DOCUMENT_SRV (A_BillingDocument with to_Item) and
// API_OPLACCTGDOCITEMCUBE_SRV (A_OperationalAcctgDocItemCube): one billing
// document per invoice, one item, and its receivable line, cleared or open.

func (s *Sim) invoiceAt(i int) *invoice {
	return s.inv.at(s.genInvoice, i)
}

func (s *Sim) invoiceTable(stamps map[string]bool, first func(time.Time) int, keyProp string) *table[*invoice] {
	return &table[*invoice]{
		n:          s.opts.Invoices,
		gen:        s.invoiceAt,
		firstAt:    first,
		changedIdx: s.inv.changedIdx,
		changed:    s.inv.isChanged,
		keys:       s.inv.keys,
		explicit:   s.inv.byKey,
		stamps:     stamps,
		keyProp:    keyProp,
		genIndex:   simulation.IndexOf("9", 9),
		sortProp:   keyProp,
		genKey:     genInvoiceKey,
	}
}

// firstInvoiceAt is the first generated invoice stamped at or after b.
func (s *Sim) firstInvoiceAt(b time.Time) int { return simulation.FirstIndex(b, s.genStart, s.invStep) }

func (s *Sim) getBillingDocuments(c *reqCtx) {
	t := s.invoiceTable(map[string]bool{"LastChangeDateTime": true, "BillingDocumentDate": true}, s.firstInvoiceAt, "BillingDocument")
	serveCollection(c, t, func(j *jbuf, v *invoice, q query) { writeBillingDocument(j, c.base, v, q) })
}

func writeBillingDocument(j *jbuf, base string, v *invoice, q query) {
	uri := base + "A_BillingDocument('" + v.number + "')"
	j.open()
	j.meta(uri, "API_BILLING_DOCUMENT_SRV.A_BillingDocumentType", "")
	j.str("BillingDocument", v.number)
	j.str("SDDocumentCategory", "M")
	j.str("BillingDocumentType", "F2")
	j.date("BillingDocumentDate", v.billed)
	if v.malformed == 1 {
		j.str("TotalNetAmount", "12,50")
	} else {
		j.str("TotalNetAmount", sap.FormatDecimal(v.net)+"0")
	}
	j.str("TaxAmount", sap.FormatDecimal(v.tax)+"0")
	j.str("TransactionCurrency", v.currency)
	j.str("SoldToParty", v.soldTo)
	j.str("CustomerPaymentTerms", v.terms)
	if v.malformed == 2 {
		j.str("BillingDocumentIsCancelled", "no")
	} else {
		j.boolean("BillingDocumentIsCancelled", v.cancelled)
	}
	j.dateOffset("LastChangeDateTime", v.changed)
	if q.expand["to_Item"] {
		j.results("to_Item", func() {
			j.elem()
			j.open()
			j.meta(base+"A_BillingDocumentItem(BillingDocument='"+v.number+"',BillingDocumentItem='10')",
				"API_BILLING_DOCUMENT_SRV.A_BillingDocumentItemType", "")
			j.str("BillingDocument", v.number)
			j.str("BillingDocumentItem", "10")
			j.str("SalesDocument", v.salesOrder)
			j.close()
		})
	} else {
		j.deferred("to_Item", uri+"/to_Item")
	}
	j.close()
}

func (s *Sim) getReceivables(c *reqCtx) {
	// A generated invoice is cleared clearDays after its billing date, so the
	// first one cleared on or after b was billed clearDays before b.
	first := func(b time.Time) int { return s.firstInvoiceAt(b.AddDate(0, 0, -clearDays-1)) }
	t := s.invoiceTable(map[string]bool{"ClearingDate": true, "PostingDate": true}, first, "DocumentReferenceID")
	serveCollection(c, t, func(j *jbuf, v *invoice, q query) { writeReceivable(j, c.base, v) })
}

func writeReceivable(j *jbuf, base string, v *invoice) {
	fy := fmt.Sprint(v.billed.Year())
	j.open()
	j.meta(base+"A_OperationalAcctgDocItemCube('"+v.accDoc+fy+"001')", "API_OPLACCTGDOCITEMCUBE_SRV.A_OperationalAcctgDocItemCubeType", "")
	j.str("CompanyCode", "1010")
	j.str("FiscalYear", fy)
	j.str("AccountingDocument", v.accDoc)
	j.str("AccountingDocumentItem", "001")
	j.str("AccountingDocumentType", "RV")
	j.str("FinancialAccountType", "D")
	j.str("Customer", v.soldTo)
	j.str("DocumentReferenceID", v.number)
	j.str("ClearingAccountingDocument", v.clearingDoc)
	if v.clearingDoc == "" {
		j.null("ClearingDate")
	} else {
		j.date("ClearingDate", v.cleared)
	}
	j.str("AmountInTransactionCurrency", sap.FormatDecimal(v.net+v.tax))
	j.str("TransactionCurrency", v.currency)
	j.close()
}

// saveInvoice stores a changed invoice at its place, a version on from its
// last; callers hold s.mu.
func (s *Sim) saveInvoice(v *invoice) {
	s.inv.put(v, v.index, v.number, s.inv.changed[v.index].version+1, v.changed)
}

// ChangeInvoices changes n generated invoices (their LastChangeDateTime moves
// to now), chosen evenly from offset; it returns their numbers.
func (s *Sim) ChangeInvoices(n, offset int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	return s.inv.changeSpread(s.opts.Invoices, n, offset, now, genInvoiceKey, func(ov *invoice) {
		next := *ov
		next.changed = now
		s.saveInvoice(&next)
	})
}

// Bill issues an invoice for a sales order: its net value plus 13% VAT, dated
// today. It returns the billing document number.
func (s *Sim) Bill(salesOrder string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[salesOrder]
	if !ok {
		return "", fmt.Errorf("no sales order %s", salesOrder)
	}
	return s.billLocked(o.soldTo, salesOrder, o.net, o.currency), nil
}

// AddInvoice issues an invoice of net minor units (plus 13% VAT) to customer
// for salesOrder, which need not exist in the simulator (a deal's order placed
// by hand). It returns the billing document number.
func (s *Sim) AddInvoice(customer, salesOrder string, net int64) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.billLocked(customer, salesOrder, net, "CNY")
}

func (s *Sim) billLocked(customer, salesOrder string, net int64, currency string) string {
	n := s.nextSeq()
	now := s.now()
	v := &invoice{index: -1, number: "95" + simulation.Pad(n, 8), soldTo: customer, salesOrder: salesOrder, terms: "NT30",
		currency: currency, net: net, tax: net * 13 / 100, billed: day(now), changed: now, accDoc: "91" + simulation.Pad(n, 8)}
	s.saveInvoice(v)
	return v.number
}

// Clear records the payment of an invoice today (its receivable is cleared by
// an incoming payment) and returns the payment document number.
func (s *Sim) Clear(invoiceNo string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var v *invoice
	if e, ok := s.inv.explicit[invoiceNo]; ok {
		v = e
	} else if i, ok := simulation.IndexOf("9", 9)(invoiceNo); ok && i < s.opts.Invoices {
		v = s.invoiceAt(i)
	}
	if v == nil {
		return "", fmt.Errorf("no invoice %s", invoiceNo)
	}
	if v.clearingDoc != "" {
		return v.clearingDoc, nil
	}
	next := *v
	next.clearingDoc = "15" + simulation.Pad(s.nextSeq(), 8)
	next.cleared = day(s.now())
	next.changed = s.now()
	s.saveInvoice(&next)
	return next.clearingDoc, nil
}
