package activities

import (
	"context"
	"encoding/json"
	"time"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/database"
)

// Onboarding records what became of requests to add a customer
// (workflows/onboarding.go).
type Onboarding struct {
	DB    *database.DB
	Audit audit.Chain
}

// OnboardingOutcome is a request reaching a status.
type OnboardingOutcome struct {
	ID       int64
	Customer string // the provisional code
	CaseID   string
	Status   string // database.Onboarding*
	Detail   string
	ERPCode  string // created: the ERP's number
	At       time.Time
}

// RecordOnboardingOutcome moves the request to its status with its audit
// entry, once; created, the customer becomes active under the ERP's number.
func (a *Onboarding) RecordOnboardingOutcome(ctx context.Context, o OnboardingOutcome) error {
	detail, _ := json.Marshal(map[string]any{"onboarding": o.ID, "case": o.CaseID, "erp_code": o.ERPCode, "detail": o.Detail})
	object := o.Customer
	if o.ERPCode != "" {
		object = o.ERPCode
	}
	return a.DB.OnboardingFinish(ctx, o.ID, o.Status, o.Detail, o.ERPCode, a.Audit, audit.Entry{At: o.At, Actor: "system",
		Action: "customer.onboarding." + o.Status, ObjectType: "customer", ObjectID: object, Detail: detail})
}
