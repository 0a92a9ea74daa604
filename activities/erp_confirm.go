package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/money"
)

// ConfirmERPRecordInput is an invoice or a payment a deal's workflow was told
// of (DealERPSignal), which anyone who reaches Temporal can send.
type ConfirmERPRecordInput struct {
	DealID string
	Record deal.ERPRecord
}

// ERPRecordCheck says whether l2c's copy of the ERP's data holds the record
// as the deal heard it, and if not, why not.
type ERPRecordCheck struct {
	Held   bool
	Reason string
}

// ConfirmERPRecord checks an ERP record a deal was told of against the rows
// the ERP sync wrote (erp_invoices, erp_payments): the deal believes only
// what the ERP holds for it, as the ERP holds it. A record the database does
// not hold, holds for another deal (or none), holds cancelled or holds
// otherwise is refused on the audit trail (actor system,
// deal.erp_record_refused), once however often the check is retried.
func (a *Deals) ConfirmERPRecord(ctx context.Context, in ConfirmERPRecordInput) (ERPRecordCheck, error) {
	rec, key, held := in.Record, "", any(nil)
	var reason string
	var err error
	switch {
	case (rec.Invoice == nil) == (rec.Payment == nil):
		reason = "an ERP record is exactly one invoice or one payment"
	case rec.Invoice != nil:
		key = rec.Invoice.Number
		held, reason, err = heldAs(ctx, "invoice", key, a.DB.ERPInvoiceHeld,
			func(v database.ERPInvoice, linked string) string {
				return invoiceDisagrees(in.DealID, *rec.Invoice, v, linked)
			})
	default:
		key = rec.Payment.Reference
		held, reason, err = heldAs(ctx, "payment", key, a.DB.ERPPaymentHeld,
			func(v database.ERPPayment, linked string) string {
				return paymentDisagrees(in.DealID, *rec.Payment, v, linked)
			})
	}
	if err != nil {
		return ERPRecordCheck{}, err
	}
	if reason == "" {
		return ERPRecordCheck{Held: true}, nil
	}
	// The check's own identity (its run and activity ID) is the same on
	// every retry and differs for every signal.
	info := activity.GetInfo(ctx)
	check := info.WorkflowExecution.RunID + "/" + info.ActivityID
	detail, err := json.Marshal(map[string]any{"heard": rec, "held": held, "reason": reason})
	if err != nil {
		return ERPRecordCheck{}, fmt.Errorf("refuse erp record: %w", err)
	}
	if err := a.DB.ERPRecordRefused(ctx, a.Audit, check, in.DealID, key, reason, audit.Entry{At: time.Now(),
		Actor: "system", Action: "deal.erp_record_refused", ObjectType: "deal", ObjectID: in.DealID, Detail: detail}); err != nil {
		return ERPRecordCheck{}, err
	}
	if a.Log != nil {
		a.Log.WarnContext(ctx, "ERP record refused: the ERP's data does not hold it", "deal", in.DealID, "record", key,
			"reason", reason)
	}
	return ERPRecordCheck{Reason: reason}, nil
}

// heldAs looks up the record of kind what (invoice, payment) the ERP sync
// wrote under key, and says how it disagrees with what the deal heard; held
// is the row, nil when there is none (which is itself the reason).
func heldAs[T any](ctx context.Context, what, key string, find func(context.Context, string) (T, string, error),
	disagrees func(v T, linked string) string) (held any, reason string, err error) {
	v, linked, err := find(ctx, key)
	switch {
	case errors.Is(err, database.ErrNotFound):
		return nil, fmt.Sprintf("the ERP holds no %s %s", what, key), nil
	case err != nil:
		return nil, "", err
	}
	return v, disagrees(v, linked), nil
}

// invoiceDisagrees says how the invoice a deal heard of differs from the
// ERP's, linked to dealID; "" when it does not.
func invoiceDisagrees(dealID string, heard deal.Invoice, v database.ERPInvoice, linked string) string {
	switch {
	case linked != dealID:
		return fmt.Sprintf("the ERP's invoice %s does not bill deal %s", v.Number, dealID)
	case v.Cancelled:
		return fmt.Sprintf("the ERP's invoice %s is cancelled", v.Number)
	case heard.Amount != money.Amount(v.Amount):
		return fmt.Sprintf("the ERP's invoice %s is for %s, not %s", v.Number, money.Amount(v.Amount), heard.Amount)
	case heard.IssuedOn != deal.DateOf(v.IssuedOn.UTC()) || heard.DueOn != deal.DateOf(v.DueOn.UTC()):
		return fmt.Sprintf("the ERP's invoice %s was issued %s due %s, not %s due %s", v.Number,
			deal.DateOf(v.IssuedOn.UTC()), deal.DateOf(v.DueOn.UTC()), heard.IssuedOn, heard.DueOn)
	}
	return ""
}

// paymentDisagrees is invoiceDisagrees for a payment.
func paymentDisagrees(dealID string, heard deal.Payment, v database.ERPPayment, linked string) string {
	switch {
	case linked != dealID:
		return fmt.Sprintf("the ERP's payment %s does not pay deal %s", v.Reference, dealID)
	case heard.InvoiceNo != v.InvoiceNo:
		return fmt.Sprintf("the ERP's payment %s clears invoice %s, not %q", v.Reference, v.InvoiceNo, heard.InvoiceNo)
	case heard.Amount != money.Amount(v.Amount):
		return fmt.Sprintf("the ERP's payment %s is %s, not %s", v.Reference, money.Amount(v.Amount), heard.Amount)
	case heard.ReceivedOn != deal.DateOf(v.ReceivedOn.UTC()):
		return fmt.Sprintf("the ERP's payment %s was received %s, not %s", v.Reference, deal.DateOf(v.ReceivedOn.UTC()),
			heard.ReceivedOn)
	}
	return ""
}
