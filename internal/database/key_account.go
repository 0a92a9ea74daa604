package database

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/l2c/l2c/internal/civil"
)

// KeyActivity is a key-account activity (攻关活动) planned on a deal: what,
// when, the goal and the support wanted; the supporter the manager named;
// the outcome once done.
type KeyActivity struct {
	ID            int64      `json:"id"`
	DealID        string     `json:"deal_id"`
	DealTitle     string     `json:"deal_title,omitempty"`
	SalesOwner    string     `json:"sales_owner,omitempty"`
	Customer      string     `json:"customer,omitempty"`
	Kind          string     `json:"kind"`
	PlannedOn     civil.Date `json:"planned_on"`
	Goal          string     `json:"goal"`
	SupportWanted string     `json:"support_wanted,omitempty"`
	PlannedBy     string     `json:"planned_by"`
	PlannedAt     time.Time  `json:"planned_at"`
	Supporter     string     `json:"supporter,omitempty"`
	SupportNote   string     `json:"support_note,omitempty"`
	AssignedBy    string     `json:"assigned_by,omitempty"`
	AssignedAt    *time.Time `json:"assigned_at,omitempty"`
	DoneAt        *time.Time `json:"done_at,omitempty"`
	DoneBy        string     `json:"done_by,omitempty"`
	Outcome       string     `json:"outcome,omitempty"`
}

// ErrKeyActivityDone: the activity's outcome is recorded; it changes no more.
var ErrKeyActivityDone = errors.New("the key-account activity is done")

// ErrUserUnusable: no such user, or the user is disabled.
var ErrUserUnusable = errors.New("no such user, or disabled")

const keyActivityCols = `k.id, k.deal_id, d.title, d.sales_owner, d.customer_code, k.kind, k.planned_on, k.goal,
	k.support_wanted, k.planned_by, k.planned_at, coalesce(k.supporter, ''), k.support_note,
	coalesce(k.assigned_by, ''), k.assigned_at, k.done_at, coalesce(k.done_by, ''), k.outcome
	FROM key_account_activities k JOIN deals d ON d.id = k.deal_id`

func scanKeyActivity(r pgx.CollectableRow) (KeyActivity, error) {
	var k KeyActivity
	var on time.Time
	err := r.Scan(&k.ID, &k.DealID, &k.DealTitle, &k.SalesOwner, &k.Customer, &k.Kind, &on, &k.Goal,
		&k.SupportWanted, &k.PlannedBy, &k.PlannedAt, &k.Supporter, &k.SupportNote,
		&k.AssignedBy, &k.AssignedAt, &k.DoneAt, &k.DoneBy, &k.Outcome)
	k.PlannedOn = civil.DateOf(on)
	return k, err
}

// KeyActivityAdd records k as planned; call it inside InTxAudited.
func (db *DB) KeyActivityAdd(ctx context.Context, k KeyActivity) (int64, error) {
	return queryValue[int64](ctx, db.q(ctx), "plan key-account activity on "+k.DealID, `INSERT INTO key_account_activities (deal_id, kind, planned_on, goal, support_wanted, planned_by, planned_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		k.DealID, k.Kind, k.PlannedOn.String(), k.Goal, k.SupportWanted, k.PlannedBy, k.PlannedAt)
}

// KeyActivityGet reads activity id.
func (db *DB) KeyActivityGet(ctx context.Context, id int64) (KeyActivity, error) {
	rows, _ := db.q(ctx).Query(ctx, `SELECT `+keyActivityCols+` WHERE k.id = $1`, id)
	k, err := pgx.CollectExactlyOneRow(rows, scanKeyActivity)
	if err != nil {
		return KeyActivity{}, fmt.Errorf("key-account activity %d: %w", id, notFound(err))
	}
	return k, nil
}

// KeyActivitiesOfDeal lists deal id's key-account activities by planned date.
func (db *DB) KeyActivitiesOfDeal(ctx context.Context, dealID string) ([]KeyActivity, error) {
	return queryList(ctx, db.pool, fmt.Sprintf("key-account activities of %s", dealID), scanKeyActivity,
		`SELECT `+keyActivityCols+` WHERE k.deal_id = $1 ORDER BY k.planned_on, k.id`, dealID)
}

// KeyActivitiesToSupport lists the open key-account activities on the deals
// of manager's team (team, when not empty) and direct reports, by date.
func (db *DB) KeyActivitiesToSupport(ctx context.Context, manager, team string, limit int) ([]KeyActivity, error) {
	return queryList(ctx, db.pool, fmt.Sprintf("key-account activities %s supports", manager), scanKeyActivity,
		`SELECT `+keyActivityCols+` WHERE k.done_at IS NULL AND EXISTS (SELECT 1 FROM users o WHERE o.id = d.sales_owner
			AND (o.manager_id = $1 OR ($2 <> '' AND o.team = $2)))
		ORDER BY k.planned_on, k.id LIMIT $3`, manager, team, limit)
}

// KeyActivitiesSupportedBy lists the open key-account activities user
// supports, by date.
func (db *DB) KeyActivitiesSupportedBy(ctx context.Context, user string, limit int) ([]KeyActivity, error) {
	return queryList(ctx, db.pool, fmt.Sprintf("key-account activities supported by %s", user), scanKeyActivity,
		`SELECT `+keyActivityCols+` WHERE k.done_at IS NULL AND k.supporter = $1 ORDER BY k.planned_on, k.id LIMIT $2`, user, limit)
}

// KeyActivitiesOwnedBy lists the open key-account activities on the deals
// owner sells, by date: whose outcomes they are to record.
func (db *DB) KeyActivitiesOwnedBy(ctx context.Context, owner string, limit int) ([]KeyActivity, error) {
	return queryList(ctx, db.pool, fmt.Sprintf("key-account activities of %s's deals", owner), scanKeyActivity,
		`SELECT `+keyActivityCols+` WHERE k.done_at IS NULL AND d.sales_owner = $1 ORDER BY k.planned_on, k.id LIMIT $2`, owner, limit)
}

// ManagesOwner says whether manager (of team, when not empty) manages
// owner: owner reports to manager or is in manager's team.
func (db *DB) ManagesOwner(ctx context.Context, manager, team, owner string) (bool, error) {
	return queryValue[bool](ctx, db.q(ctx), "does "+manager+" manage "+owner, `SELECT EXISTS (SELECT 1 FROM users o WHERE o.id = $3
		AND (o.manager_id = $1 OR ($2 <> '' AND o.team = $2)))`, manager, team, owner)
}

// KeyActivityAssign names supporter on open activity id, with note; call
// it inside InTxAudited. ErrUserUnusable when supporter does not exist or is
// disabled, ErrKeyActivityDone once the outcome is recorded.
func (db *DB) KeyActivityAssign(ctx context.Context, id int64, supporter, note, by string, at time.Time) error {
	var disabled bool
	err := db.q(ctx).QueryRow(ctx, `SELECT disabled FROM users WHERE id = $1 FOR SHARE`, supporter).Scan(&disabled)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && disabled) {
		return ErrUserUnusable
	}
	if err != nil {
		return fmt.Errorf("supporter %s: %w", supporter, err)
	}
	tag, err := db.q(ctx).Exec(ctx, `UPDATE key_account_activities SET supporter = $2, support_note = $3, assigned_by = $4, assigned_at = $5
		WHERE id = $1 AND done_at IS NULL`, id, supporter, note, by, at)
	if err != nil {
		return fmt.Errorf("assign support to key-account activity %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return ErrKeyActivityDone
	}
	return nil
}

// KeyActivityDone records the outcome of open activity k, by by at at; call
// it inside InTxAudited. When the deal names a customer, the outcome is also
// logged as its activity (kind key_account): a follow-up for the pool clock.
func (db *DB) KeyActivityDone(ctx context.Context, k KeyActivity, by, outcome string, at time.Time) error {
	var activity *int64
	if k.Customer != "" {
		id, err := db.ActivityAdd(ctx, Activity{Customer: k.Customer, DealID: k.DealID, Kind: "key_account", HappenedAt: at, By: by, Note: outcome})
		if err != nil {
			return err
		}
		activity = &id
	}
	tag, err := db.q(ctx).Exec(ctx, `UPDATE key_account_activities SET done_at = $2, done_by = $3, outcome = $4, activity_id = $5
		WHERE id = $1 AND done_at IS NULL`, k.ID, at, by, outcome, activity)
	if err != nil {
		return fmt.Errorf("record outcome of key-account activity %d: %w", k.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return ErrKeyActivityDone
	}
	return nil
}
