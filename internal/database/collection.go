package database

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/l2c/l2c/internal/calendar"
	"github.com/l2c/l2c/internal/collection"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/money"
)

// Collection plans and their instalments (collection_plans,
// collection_instalments, collection_events). A deal's save keeps them in
// step with the deal (collectionOnSave, in the save's transaction): the plan
// set before signing, the triggers as they happen, the due dates they fix,
// and the payments and credit notes applied, oldest due first.

// PlanStatus is where a deal's plan stands.
type PlanStatus string

const (
	PlanDraft  PlanStatus = "draft"  // set, the contract not yet signed
	PlanSigned PlanStatus = "signed" // fixed at the signed amount; changed only through approval
)

// CollectionPlan is a deal's plan with its instalments as they stand.
type CollectionPlan struct {
	DealID         string          `json:"deal_id"`
	CustomerCode   string          `json:"customer_code"`
	Currency       string          `json:"currency"`
	ContractAmount money.Amount    `json:"contract_amount"`
	Status         PlanStatus      `json:"status"`
	Version        int             `json:"version"`
	Plan           collection.Plan `json:"plan"`
	SetBy          string          `json:"set_by"`
	SetAt          time.Time       `json:"set_at"`
	Instalments    []Instalment    `json:"instalments"`
}

// Instalment is one instalment's row.
type Instalment struct {
	DealID       string               `json:"deal_id"`
	No           int                  `json:"no"`
	Label        string               `json:"label,omitempty"`
	Trigger      collection.Trigger   `json:"trigger"`
	Amount       money.Amount         `json:"amount"`
	Currency     string               `json:"currency"`
	CustomerCode string               `json:"customer_code"`
	PaymentOwner string               `json:"payment_owner"`
	TriggerOn    *collection.Date     `json:"trigger_on,omitempty"`
	DueOn        *collection.Date     `json:"due_on,omitempty"`
	Paid         money.Amount         `json:"paid"`
	Credited     money.Amount         `json:"credited"`
	Open         money.Amount         `json:"open"`
	Applied      []collection.Applied `json:"-"`
	SettledOn    *collection.Date     `json:"settled_on,omitempty"`
	// The dunning ladder: the last step taken, the next one and its day.
	Step     string           `json:"step,omitempty"`
	NextStep string           `json:"next_step,omitempty"`
	NextOn   *collection.Date `json:"next_on,omitempty"`
}

// collectionOnSave keeps the deal's plan in step with the transition just
// saved (d is the new state, h its history entry), in the save's transaction.
// A deal without a plan costs one query.
func collectionOnSave(ctx context.Context, tx pgx.Tx, d deal.Deal, h deal.HistoryEntry) error {
	if h.Action == string(deal.ActSetCollectionPlan) && d.CollectionPlan != nil && !d.Signed() {
		if err := planSetDraft(ctx, tx, d, h); err != nil {
			return err
		}
	}
	var status string
	err := tx.QueryRow(ctx, `SELECT status FROM collection_plans WHERE deal_id = $1`, d.ID).Scan(&status)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("collection plan of %s: %w", d.ID, err)
	}
	cal, err := defaultCalendar(ctx, tx)
	if err != nil {
		return err
	}
	b := &pgx.Batch{}
	for _, e := range d.CollectionEvents() {
		on := e.On
		if on.IsZero() {
			on = cal.DateOf(e.At)
		}
		b.Queue(`INSERT INTO collection_events (deal_id, trigger, happened) VALUES ($1, $2, $3)
			ON CONFLICT (deal_id, trigger) DO NOTHING`, d.ID, string(e.Trigger), on.String())
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("collection events of %s: %w", d.ID, err)
	}
	return collectionRefresh(ctx, tx, d.ID, cal)
}

// planSetDraft records the plan set before signing, replacing the one before.
func planSetDraft(ctx context.Context, tx pgx.Tx, d deal.Deal, h deal.HistoryEntry) error {
	raw, err := json.Marshal(d.CollectionPlan)
	if err != nil {
		return fmt.Errorf("encode plan: %w", err)
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO collection_plans (deal_id, customer_code, currency, contract_amount, interest_bp, template, plan,
			status, set_by, set_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 'draft', $8, $9)
		ON CONFLICT (deal_id) DO UPDATE SET contract_amount = EXCLUDED.contract_amount, interest_bp = EXCLUDED.interest_bp,
			template = EXCLUDED.template, plan = EXCLUDED.plan, set_by = EXCLUDED.set_by, set_at = EXCLUDED.set_at
		WHERE collection_plans.status = 'draft'`,
		d.ID, d.Customer.Code, d.Currency, int64(d.Contract.Amount), d.CollectionPlan.InterestBP,
		d.CollectionPlan.Template, raw, h.Actor, h.At)
	if err != nil {
		return fmt.Errorf("set plan of %s: %w", d.ID, err)
	}
	// A draft's instalments are its definition again: nothing was dunned yet.
	if _, err := tx.Exec(ctx, `DELETE FROM collection_instalments WHERE deal_id = $1
		AND EXISTS (SELECT 1 FROM collection_plans p WHERE p.deal_id = $1 AND p.status = 'draft')`, d.ID); err != nil {
		return fmt.Errorf("set plan of %s: %w", d.ID, err)
	}
	return nil
}

// defaultCalendar is the company's working calendar; its zone makes an
// instant a company day.
func defaultCalendar(ctx context.Context, q auditQuerier) (*calendar.Calendar, error) {
	return calendarRead(ctx, q, "default")
}

// collectionRefresh rewrites a deal's instalments from its plan, its events
// and the money received: amounts at the contract's (signed) amount, trigger
// and due dates, and the payments (deal_payments) and credit notes (the
// deal's negative invoices) applied oldest due first. The ladder's columns
// are left as they are.
func collectionRefresh(ctx context.Context, tx pgx.Tx, dealID string, cal *calendar.Calendar) error {
	var (
		raw                    []byte
		status, customer, curr string
		owner, class           string
		contract               *int64
		signed                 bool
	)
	err := tx.QueryRow(ctx, `
		SELECT p.plan, p.status, d.customer_code, d.currency, coalesce(d.payment_owner, ''),
			coalesce((SELECT value_class FROM customers c WHERE c.code = d.customer_code), ''),
			k.amount, coalesce(k.review_status = 'approved', false)
		FROM collection_plans p JOIN deals d ON d.id = p.deal_id LEFT JOIN deal_contracts k ON k.deal_id = d.id
		WHERE p.deal_id = $1 FOR UPDATE OF p`, dealID).
		Scan(&raw, &status, &customer, &curr, &owner, &class, &contract, &signed)
	if err != nil {
		return fmt.Errorf("refresh plan of %s: %w", dealID, err)
	}
	var plan collection.Plan
	if err := json.Unmarshal(raw, &plan); err != nil {
		return fmt.Errorf("plan of %s as stored: %w", dealID, err)
	}
	if contract == nil {
		return nil
	}
	if signed && status == string(PlanDraft) {
		status = string(PlanSigned)
		if _, err := tx.Exec(ctx, `UPDATE collection_plans SET status = 'signed', contract_amount = $2 WHERE deal_id = $1`,
			dealID, *contract); err != nil {
			return fmt.Errorf("sign plan of %s: %w", dealID, err)
		}
	}
	events := map[collection.Trigger]collection.Date{}
	// Read through queryEach, which also checks rows.Err: a read cut short
	// must fail the refresh, not plan the instalments on half the events.
	type event struct {
		trigger string
		on      time.Time
	}
	if err := queryEach(ctx, tx, "events of "+dealID, func(r pgx.CollectableRow) (event, error) {
		var e event
		err := r.Scan(&e.trigger, &e.on)
		return e, err
	}, func(e event) error {
		events[collection.Trigger(e.trigger)] = dateOf(e.on)
		return nil
	}, `SELECT trigger, happened FROM collection_events WHERE deal_id = $1`, dealID); err != nil {
		return err
	}
	moves, err := queryList(ctx, tx, "payments of "+dealID, func(r pgx.CollectableRow) (collection.Move, error) {
		var m collection.Move
		var on time.Time
		err := r.Scan(&m.Ref, &on, &m.Amount, &m.Credit)
		m.On = dateOf(on)
		return m, err
	}, `
		SELECT 'P:' || reference, received_on, amount, false FROM deal_payments WHERE deal_id = $1
		UNION ALL SELECT 'C:' || number, issued_on, -amount, true FROM deal_invoices WHERE deal_id = $1 AND amount < 0`, dealID)
	if err != nil {
		return err
	}

	amounts := plan.Amounts(money.Amount(*contract))
	owed := make([]collection.Owed, len(plan.Instalments))
	triggerOn := make([]*collection.Date, len(plan.Instalments))
	dueOn := make([]*collection.Date, len(plan.Instalments))
	for i, in := range plan.Instalments {
		owed[i].Amount = amounts[i]
		if !signed { // nothing falls due before the contract is signed
			continue
		}
		if t, ok := in.TriggerOn(events); ok {
			due := in.Due.DueOn(t, cal)
			triggerOn[i], dueOn[i], owed[i].Due = &t, &due, due
		}
	}
	alloc := collection.Allocate(owed, moves)
	b := &pgx.Batch{}
	b.Queue(`DELETE FROM collection_instalments WHERE deal_id = $1 AND no > $2`, dealID, len(plan.Instalments))
	for i, in := range plan.Instalments {
		applied, err := json.Marshal(appliedRows(alloc[i].Applied))
		if err != nil {
			return err
		}
		var settled *string
		if !alloc[i].SettledOn.IsZero() {
			s := alloc[i].SettledOn.String()
			settled = &s
		}
		b.Queue(`
			INSERT INTO collection_instalments (deal_id, no, label, trigger, warranty_months, due_kind, due_days, amount,
				currency, customer_code, value_class, payment_owner, trigger_on, due_on, paid, credited, applied, settled_on)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
			ON CONFLICT (deal_id, no) DO UPDATE SET label = EXCLUDED.label, trigger = EXCLUDED.trigger,
				warranty_months = EXCLUDED.warranty_months, due_kind = EXCLUDED.due_kind, due_days = EXCLUDED.due_days,
				amount = EXCLUDED.amount, currency = EXCLUDED.currency, customer_code = EXCLUDED.customer_code,
				value_class = EXCLUDED.value_class, payment_owner = EXCLUDED.payment_owner,
				trigger_on = EXCLUDED.trigger_on, due_on = EXCLUDED.due_on, paid = EXCLUDED.paid,
				credited = EXCLUDED.credited, applied = EXCLUDED.applied, settled_on = EXCLUDED.settled_on,
				-- a due date that moved (a plan change) is decided again by the next tick,
				-- and so is an instalment of another class (another ladder)
				next_on = CASE WHEN collection_instalments.due_on IS DISTINCT FROM EXCLUDED.due_on
					THEN NULL ELSE collection_instalments.next_on END,
				decided_on = CASE WHEN collection_instalments.due_on IS DISTINCT FROM EXCLUDED.due_on
					OR collection_instalments.value_class <> EXCLUDED.value_class
					THEN NULL ELSE collection_instalments.decided_on END`,
			dealID, i+1, in.Label, string(in.Trigger), in.WarrantyMonths, string(in.Due.Kind), in.Due.Days,
			int64(amounts[i]), curr, customer, class, owner, dateArg(triggerOn[i]), dateArg(dueOn[i]),
			int64(alloc[i].Paid), int64(alloc[i].Credited), applied, settled)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("instalments of %s: %w", dealID, err)
	}
	return nil
}

type appliedRow struct {
	On     string       `json:"on"`
	Amount money.Amount `json:"amount"`
}

func appliedRows(a []collection.Applied) []appliedRow {
	out := make([]appliedRow, len(a))
	for i, x := range a {
		out[i] = appliedRow{x.On.String(), x.Amount}
	}
	return out
}

func dateArg(d *collection.Date) *string {
	if d == nil {
		return nil
	}
	s := d.String()
	return &s
}

func optionalDate(t *time.Time) *collection.Date {
	if t == nil {
		return nil
	}
	d := dateOf(*t)
	return &d
}

// CollectionPlanGet reads a deal's plan and instalments, or ErrNotFound.
// The caller has checked the viewer may see the deal.
func (db *DB) CollectionPlanGet(ctx context.Context, dealID string) (CollectionPlan, error) {
	var p CollectionPlan
	var raw []byte
	var amount int64
	err := db.q(ctx).QueryRow(ctx, `SELECT deal_id, customer_code, currency, contract_amount, status, version, plan,
		set_by, set_at FROM collection_plans WHERE deal_id = $1`, dealID).
		Scan(&p.DealID, &p.CustomerCode, &p.Currency, &amount, &p.Status, &p.Version, &raw, &p.SetBy, &p.SetAt)
	if err != nil {
		return p, fmt.Errorf("plan of %s: %w", dealID, notFound(err))
	}
	p.ContractAmount = money.Amount(amount)
	if err := json.Unmarshal(raw, &p.Plan); err != nil {
		return p, fmt.Errorf("plan of %s as stored: %w", dealID, err)
	}
	p.Instalments, err = db.instalments(ctx, `WHERE i.deal_id = $1 ORDER BY i.no`, dealID)
	return p, err
}

// instalmentSelect reads an instalment row with its ladder step's name.
const instalmentSelect = `SELECT i.deal_id, i.no, i.label, i.trigger, i.amount, i.currency, i.customer_code,
	i.payment_owner, i.trigger_on, i.due_on, i.paid, i.credited, i.applied, i.settled_on,
	coalesce((SELECT e.step FROM dunning_events e WHERE e.deal_id = i.deal_id AND e.no = i.no
		ORDER BY e.step_index DESC LIMIT 1), ''), i.next_step, i.next_on
	FROM collection_instalments i `

func (db *DB) instalments(ctx context.Context, where string, args ...any) ([]Instalment, error) {
	rows, err := db.q(ctx).Query(ctx, instalmentSelect+where, args...)
	if err != nil {
		return nil, fmt.Errorf("instalments: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Instalment, error) {
		var in Instalment
		var amount, paid, credited int64
		var trig, due, settled, next *time.Time
		var applied []byte
		err := r.Scan(&in.DealID, &in.No, &in.Label, &in.Trigger, &amount, &in.Currency, &in.CustomerCode,
			&in.PaymentOwner, &trig, &due, &paid, &credited, &applied, &settled, &in.Step, &in.NextStep, &next)
		if err != nil {
			return in, err
		}
		in.Amount, in.Paid, in.Credited = money.Amount(amount), money.Amount(paid), money.Amount(credited)
		in.Open = in.Amount - in.Paid - in.Credited
		in.TriggerOn, in.DueOn, in.SettledOn, in.NextOn = optionalDate(trig), optionalDate(due), optionalDate(settled), optionalDate(next)
		var rows []appliedRow
		if err := json.Unmarshal(applied, &rows); err != nil {
			return in, err
		}
		for _, a := range rows {
			d, err := calendar.ParseDate(a.On)
			if err != nil {
				return in, err
			}
			in.Applied = append(in.Applied, collection.Applied{On: d, Amount: a.Amount})
		}
		return in, nil
	})
}

// CollectionTemplate is a company plan template.
type CollectionTemplate struct {
	Code         string          `json:"code"`
	Name         string          `json:"name"`
	PaymentTerms string          `json:"payment_terms"`
	Plan         collection.Plan `json:"plan"`
}

// CollectionTemplates lists the company's templates by code.
func (db *DB) CollectionTemplates(ctx context.Context) ([]CollectionTemplate, error) {
	return queryList(ctx, db.q(ctx), "collection templates", scanTemplate, `SELECT code, name, payment_terms, plan FROM collection_templates ORDER BY code`)
}

func scanTemplate(r pgx.CollectableRow) (CollectionTemplate, error) {
	var t CollectionTemplate
	var raw []byte
	if err := r.Scan(&t.Code, &t.Name, &t.PaymentTerms, &raw); err != nil {
		return t, err
	}
	err := json.Unmarshal(raw, &t.Plan)
	t.Plan.Template = t.Code
	return t, err
}

// CollectionTemplateFor is the template proposed for a customer with these
// payment terms: the one made for them, else the company's default (”).
func (db *DB) CollectionTemplateFor(ctx context.Context, paymentTerms string) (CollectionTemplate, error) {
	rows, err := db.q(ctx).Query(ctx, `SELECT code, name, payment_terms, plan FROM collection_templates
		WHERE payment_terms IN ($1, '') ORDER BY payment_terms = $1 DESC, code LIMIT 1`, paymentTerms)
	if err != nil {
		return CollectionTemplate{}, fmt.Errorf("collection template for %q: %w", paymentTerms, err)
	}
	t, err := pgx.CollectExactlyOneRow(rows, scanTemplate)
	if err != nil {
		return t, fmt.Errorf("collection template for %q: %w", paymentTerms, notFound(err))
	}
	return t, nil
}

// CollectionTemplateSave adds or replaces a template (the caller audits it).
func (db *DB) CollectionTemplateSave(ctx context.Context, t CollectionTemplate, by string) error {
	t.Plan.Template = ""
	raw, err := json.Marshal(t.Plan)
	if err != nil {
		return err
	}
	return exec(ctx, db.q(ctx), "save collection template "+t.Code, `INSERT INTO collection_templates (code, name, payment_terms, plan, updated_by, updated_at)
		VALUES ($1, $2, $3, $4, $5, now()) ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name,
		payment_terms = EXCLUDED.payment_terms, plan = EXCLUDED.plan, updated_by = EXCLUDED.updated_by, updated_at = now()`,
		t.Code, t.Name, t.PaymentTerms, raw, by)
}
