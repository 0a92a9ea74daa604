package deal

import (
	"fmt"
	"strings"
	"time"

	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/money"
)

// Opening is what a person gives to open a deal.
type Opening struct {
	Title             string       `json:"title"`
	Customer          Customer     `json:"customer"`
	Tendered          bool         `json:"tendered"`
	Currency          string       `json:"currency,omitempty"`
	ExpectedAmount    money.Amount `json:"expected_amount"`
	PurchaseTimeframe Timeframe    `json:"purchase_timeframe,omitempty"`
	Owners            Owners       `json:"owners"`
}

// ActOpen is the action name of a deal's first history entry.
const ActOpen = "open"

// Open checks an opening and returns the new deal in stage opportunity with its
// first history entry. The sales owner defaults to the person opening the deal
// when they are a rep, and the discoverer to the sales owner.
func Open(id string, o Opening, by identity.User, now time.Time) (Deal, HistoryEntry, error) {
	if !by.Has(identity.RoleSales, identity.RoleSalesAssistant, identity.RoleSalesManager) {
		return Deal{}, HistoryEntry{}, forbidden("only sales, sales assistants and sales managers open deals")
	}
	now = storable(now)
	o.Title = strings.TrimSpace(o.Title)
	o.Customer.Name = strings.TrimSpace(o.Customer.Name)
	if o.Owners.Sales == "" && by.Has(identity.RoleSales) {
		o.Owners.Sales = by.ID
	}
	// A rep opens deals for themselves; handing a deal to another rep is for
	// the assistants and managers who assign accounts (the API checks the
	// rep is theirs).
	if o.Owners.Sales != by.ID && !by.Has(identity.RoleSalesAssistant, identity.RoleSalesManager) {
		return Deal{}, HistoryEntry{}, &Error{Kind: ErrForbidden, Message: "a sales rep opens deals they own",
			Fields: []FieldError{{Field: "owners.sales", Message: "must be you, " + by.ID}}}
	}
	if o.Owners.Discoverer == "" {
		o.Owners.Discoverer = o.Owners.Sales
	}
	if o.Currency == "" {
		o.Currency = money.DefaultCurrency
	}
	var fe fieldErrors
	fe.Required("title", o.Title)
	if o.Customer.Code == "" { // a known customer's name comes from the master
		fe.Required("customer.name", o.Customer.Name)
	}
	fe.Required("owners.sales", o.Owners.Sales)
	if !money.ValidCurrency(o.Currency) {
		fe.Add("currency", "%q is not a supported currency (CNY, USD, EUR, HKD, GBP)", o.Currency)
	}
	if o.ExpectedAmount < 0 {
		fe.Add("expected_amount", "must not be negative")
	}
	switch o.PurchaseTimeframe {
	case TimeframeUnknown, TimeframeNow, Timeframe3Months, Timeframe6Months, TimeframeOneYear:
	default:
		fe.Add("purchase_timeframe", "%q: want now, 3_months, 6_months or 1_year", o.PurchaseTimeframe)
	}
	if err := fe.Err(); err != nil {
		return Deal{}, HistoryEntry{}, err
	}
	d := Deal{ID: id, Title: o.Title, Customer: o.Customer, Tendered: o.Tendered, Currency: o.Currency,
		ExpectedAmount: o.ExpectedAmount, PurchaseTimeframe: o.PurchaseTimeframe, Owners: o.Owners,
		Stage: StageOpportunity, CreatedBy: by.ID, CreatedAt: now,
		Quotes: []Quote{}, Shipments: []Shipment{}, Invoices: []Invoice{}, Payments: []Payment{}}
	reason := fmt.Sprintf("opened for %s", d.Customer.Name)
	return d, d.record("", by.ID, ActOpen, reason, now), nil
}

// People returns the user IDs named on an opening or action, keyed by field, so
// the API can check that each names a real user before anything is sent.
func (o Opening) People() map[string]string {
	return nonEmpty(map[string]string{"owners.discoverer": o.Owners.Discoverer, "owners.sales": o.Owners.Sales,
		"owners.delivery": o.Owners.Delivery, "owners.payment": o.Owners.Payment})
}

func nonEmpty(m map[string]string) map[string]string {
	for k, v := range m {
		if v == "" {
			delete(m, k)
		}
	}
	return m
}
