package activities

import (
	"context"
	"encoding/json"
	"time"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/database"
)

// Market holds the market activities' activity (issue 14, item 2).
type Market struct {
	DB    *database.DB
	Audit audit.Chain
}

// MarketOutcome is how an application's case ended.
type MarketOutcome struct {
	ID     int64
	CaseID string
	Status string // database.MarketApproved, ...
	Detail string
	At     time.Time
}

// FinishMarketActivity records the outcome on the application, audited as
// market.activity.<status>; a retry changes nothing more.
func (a *Market) FinishMarketActivity(ctx context.Context, o MarketOutcome) error {
	detail, _ := json.Marshal(map[string]any{"case": o.CaseID, "detail": o.Detail})
	return a.DB.MarketActivityFinish(ctx, o.ID, o.Status, o.Detail, a.Audit, audit.Entry{At: o.At, Actor: "system",
		Action: "market.activity." + o.Status, ObjectType: "market_activity", ObjectID: jsonID(o.ID), Detail: detail})
}

func jsonID(id int64) string { b, _ := json.Marshal(id); return string(b) }
