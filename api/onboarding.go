package api

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
	"go.temporal.io/sdk/client"

	"github.com/l2c/l2c/activities"
	"github.com/l2c/l2c/internal/approval"
	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/customerimport"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/money"
	"github.com/l2c/l2c/internal/textnorm"
	"github.com/l2c/l2c/workflows"
)

// New customers (新客户): entered here by the sales side, kept as lead
// customers until a customer_onboarding case approves them
// (workflows/onboarding.go), then created in the ERP.

type newCustomerRequest struct {
	Name          string        `json:"name"`
	TaxID         string        `json:"tax_id"`
	Address       string        `json:"address"`
	ContactName   string        `json:"contact_name,omitempty"`
	Phone         string        `json:"phone,omitempty"`
	PaymentTerms  string        `json:"payment_terms"`
	MinDiscountBP *int64        `json:"min_discount_bp"`
	CreditLimit   *money.Amount `json:"credit_limit,omitempty"`
	Currency      string        `json:"currency,omitempty"`
	ValueClass    string        `json:"value_class,omitempty"`
	SalesOwner    string        `json:"sales_owner,omitempty"`
}

// mayEnterCustomers: sales assistants enter new customers, as do sales
// managers and reps for their own.
func mayEnterCustomers(u identity.User) bool {
	return u.Has(identity.RoleSalesAssistant, identity.RoleSalesManager, identity.RoleSales)
}

// createCustomer records a new customer as a lead customer and starts its
// approval; a duplicate is refused before anything is saved, naming the
// customer it duplicates.
func (h customers) createCustomer(w http.ResponseWriter, r *http.Request) error {
	me, req, err := bodyFor[newCustomerRequest](w, r, mayEnterCustomers, "new customers are entered by sales assistants, sales managers and reps")
	if err != nil {
		return err
	}
	nc, err := h.checkNewCustomer(r, me, req)
	if err != nil {
		return err
	}
	// Another rep's customer entered again is a collision (撞单), answered
	// with its owner masked and a request sent to them, before the
	// duplicate check names it in full.
	if err := h.guardFor(r.Context(), me, cmp.Or(nc.SalesOwner, me.ID), "enter_customer", nc.TaxID, nc.Name, nc.Phone); err != nil {
		return err
	}
	o, err := onboard(r.Context(), h.Deps, me, nc, nil)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/customer-onboardings/"+strconv.FormatInt(o.ID, 10))
	return writeJSON(w, http.StatusAccepted, o)
}

// onboard records nc (a *DuplicateError answers 409 naming the customer) and
// starts its workflow; the API and the workbook import both come here.
func onboard(ctx context.Context, d Deps, me identity.User, nc database.NewCustomer, importID *int64) (database.Onboarding, error) {
	var o database.Onboarding
	err := d.DB.InTxAudited(ctx, d.Audit, func(ctx context.Context) (audit.Entry, error) {
		var err error
		o, err = d.DB.OnboardingCreate(ctx, nc, me.ID, d.Now().UTC(), importID, workflows.OnboardingCaseID)
		if err != nil {
			return audit.Entry{}, err
		}
		return d.entryAs(me.ID, "customer.onboarding.requested", "customer", o.ProvisionalCode,
			map[string]any{"onboarding": o.ID, "request": nc}), nil
	})
	var dup *database.DuplicateError
	if errors.As(err, &dup) {
		field := "name"
		if dup.On == "tax_id" {
			field = "tax_id"
		}
		return o, problem(http.StatusConflict, probDuplicateCustomer,
			fmt.Sprintf("%s is already a customer: %s %s; nothing was saved", nc.Name, dup.Code, dup.Name),
			deal.FieldError{Field: field, Message: dup.Error()})
	}
	if err != nil {
		return o, err
	}
	_, err = d.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.OnboardingWorkflowID(o.ID),
		TaskQueue: workflows.TaskQueue}, workflows.OnboardingWorkflow, workflows.OnboardingInput{ID: o.ID,
		Customer: o.ProvisionalCode, Requester: me, New: erpCustomerOf(nc), Subject: onboardingSubject(o.ProvisionalCode, nc),
		CreditLimit: nc.CreditLimit, SalesOwner: nc.SalesOwner, RequestedAt: o.RequestedAt})
	if err != nil {
		// Without its workflow the lead customer would wait for ever.
		_ = d.DB.OnboardingFinish(ctx, o.ID, database.OnboardingFailed, "could not start: "+err.Error(), "", d.Audit,
			audit.Entry{At: d.Now(), Actor: me.ID, Action: "customer.onboarding.failed", ObjectType: "customer", ObjectID: o.ProvisionalCode})
		return o, fmt.Errorf("start onboarding %d: %w", o.ID, err)
	}
	return o, nil
}

// checkNewCustomer checks every field of a new customer, naming each bad one.
func (h customers) checkNewCustomer(r *http.Request, me identity.User, req newCustomerRequest) (database.NewCustomer, error) {
	var fe []deal.FieldError
	add := func(field, msg string, args ...any) {
		fe = append(fe, deal.FieldError{Field: field, Message: fmt.Sprintf(msg, args...)})
	}
	nc := database.NewCustomer{Name: textnorm.Tidy(req.Name), Address: textnorm.Tidy(req.Address),
		ContactName: textnorm.Tidy(req.ContactName), Phone: strings.TrimSpace(req.Phone), PaymentTerms: strings.TrimSpace(req.PaymentTerms),
		Currency: strings.ToUpper(strings.TrimSpace(req.Currency)), ValueClass: strings.TrimSpace(req.ValueClass),
		SalesOwner: strings.TrimSpace(req.SalesOwner)}
	if nc.Currency == "" {
		nc.Currency = "CNY"
	}
	// A class typed in proposes its terms (the class rules' onboarding
	// terms) for what the form leaves empty.
	if t, ok, err := h.proposedTerms(r.Context(), nc.ValueClass); err != nil {
		return nc, err
	} else if ok {
		if nc.PaymentTerms == "" {
			nc.PaymentTerms = t.PaymentTerms
		}
		if req.CreditLimit == nil {
			l := t.CreditLimit
			req.CreditLimit = &l
		}
	}
	if nc.Name == "" || utf8.RuneCountInString(nc.Name) > 200 {
		add("name", "is required: the registered name, at most 200 characters")
	}
	if !money.ValidCurrency(nc.Currency) {
		add("currency", "%q is not a currency l2c knows", nc.Currency)
	}
	if tax, msg := customerimport.TaxID(req.TaxID, nc.Currency); msg != "" {
		add("tax_id", "%s", msg)
	} else if tax == "" {
		add("tax_id", "is required: the unified social credit code (or the foreign VAT number)")
	} else {
		nc.TaxID = tax
	}
	if nc.Address == "" || utf8.RuneCountInString(nc.Address) > 500 {
		add("address", "is required, at most 500 characters")
	}
	if !paymentTermsKey.MatchString(nc.PaymentTerms) {
		add("payment_terms", "want the ERP's payment terms key: 1 to 4 capital letters or digits, e.g. NT30")
	}
	switch v := req.MinDiscountBP; {
	case v == nil:
		add("min_discount_bp", "is required: the company-set minimum discount, basis points of list price (8500 is 85%%)")
	case *v < 1 || *v > 10000:
		add("min_discount_bp", "want basis points of list price, 1 to 10000 (8500 is 85%%)")
	default:
		nc.MinDiscountBP = *v
	}
	if v := req.CreditLimit; v != nil {
		if *v < 0 {
			add("credit_limit", "must not be negative")
		}
		n := int64(*v)
		nc.CreditLimit = &n
	}
	switch nc.ValueClass {
	case "", "A", "B", "C":
	default:
		add("value_class", "want A, B or C")
	}
	if nc.SalesOwner == "" && me.Has(identity.RoleSales) && !me.Has(identity.RoleSalesAssistant, identity.RoleSalesManager) {
		nc.SalesOwner = me.ID // a rep enters a customer of their own
	}
	if nc.SalesOwner != "" {
		roles, err := h.DB.UserRoles(r.Context(), []string{nc.SalesOwner})
		if err != nil {
			return nc, err
		}
		if rs, ok := roles[nc.SalesOwner]; !ok {
			add("sales_owner", "no user %q", nc.SalesOwner)
		} else if !slicesHas(rs, identity.RoleSales, identity.RoleSalesManager) {
			add("sales_owner", "%s is not a sales rep or manager", nc.SalesOwner)
		}
	}
	if len(fe) > 0 {
		return nc, problem(http.StatusUnprocessableEntity, probInvalid, "invalid new customer; nothing was saved", fe...)
	}
	return nc, nil
}

func slicesHas(have []identity.Role, want ...identity.Role) bool {
	return identity.User{Roles: have}.Has(want...)
}

// erpCustomerOf is what the ERP is asked to create.
func erpCustomerOf(nc database.NewCustomer) activities.CreateERPCustomerInput {
	pt, min := nc.PaymentTerms, nc.MinDiscountBP
	return activities.CreateERPCustomerInput{Name: nc.Name, TaxID: nc.TaxID, Street: nc.Address, Country: "CN",
		Phone: nc.Phone, Currency: nc.Currency,
		Terms: activities.CustomerTerms{PaymentTerms: &pt, MinDiscountBP: &min, CreditLimit: nc.CreditLimit}}
}

// onboardingSubject is what the approvers see.
func onboardingSubject(code string, nc database.NewCustomer) []approval.Field {
	limit := "(none)"
	if nc.CreditLimit != nil {
		limit = money.Amount(*nc.CreditLimit).String()
	}
	f := []approval.Field{{Name: "customer", Value: code + " " + nc.Name}, {Name: "tax_id", Value: nc.TaxID},
		{Name: "address", Value: nc.Address}, {Name: "payment_terms", Value: nc.PaymentTerms},
		{Name: "min_discount", Value: fmt.Sprintf("%d.%02d%%", nc.MinDiscountBP/100, nc.MinDiscountBP%100)},
		{Name: "credit_limit", Value: limit + " " + nc.Currency}}
	if nc.SalesOwner != "" {
		f = append(f, approval.Field{Name: "sales_owner", Value: nc.SalesOwner})
	}
	return f
}

// onboardings serves /api/v1/customer-onboardings: a request as its
// requester, the holders of its case and those who see every customer see it.
type onboardings struct{ Deps }

func (h onboardings) get(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	notFound := problem(http.StatusNotFound, probNotFound, fmt.Sprintf("no new-customer request %q", chi.URLParam(r, "id")))
	if err != nil {
		return notFound
	}
	o, err := h.DB.OnboardingGet(r.Context(), id)
	if errors.Is(err, database.ErrNotFound) {
		return notFound
	}
	if err != nil {
		return err
	}
	if o.RequestedBy != actor(r).ID {
		visible, err := h.DB.CaseVisible(r.Context(), o.CaseID, viewer(actor(r)), h.Now())
		if err != nil {
			return err
		}
		if !visible {
			return notFound
		}
	}
	return writeJSON(w, http.StatusOK, o)
}

// newCustomerOf is an imported row of a customer l2c does not know, as a new
// customer: the code the file gave is kept in the request (the ERP numbers
// the customer); no minimum discount given is none below list price.
func newCustomerOf(c database.Customer) database.NewCustomer {
	nc := database.NewCustomer{Name: c.Name, TaxID: c.TaxID, Address: c.Address, ContactName: c.ContactName, Phone: c.Phone,
		PaymentTerms: c.PaymentTerms, MinDiscountBP: 10000, CreditLimit: c.CreditLimit, Currency: c.Currency,
		ValueClass: c.ValueClass, SalesOwner: c.SalesOwner, ImportCode: c.Code}
	if c.MinDiscountBP != nil {
		nc.MinDiscountBP = *c.MinDiscountBP
	}
	if nc.Currency == "" {
		nc.Currency = "CNY"
	}
	return nc
}
