package database

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/l2c/l2c/internal/approval"
	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/calendar"
)

// --- routing rules ---

// ApprovalRulesLatest returns the newest rule set for kind.
func (db *DB) ApprovalRulesLatest(ctx context.Context, kind approval.Kind) (approval.RuleSet, error) {
	rs := approval.RuleSet{Kind: kind}
	var stages []byte
	distinct := true
	err := db.pool.QueryRow(ctx, `SELECT version, stages, distinct_approvers FROM approval_rules WHERE kind = $1
		ORDER BY version DESC LIMIT 1`, string(kind)).Scan(&rs.Version, &stages, &distinct)
	if err != nil {
		return rs, fmt.Errorf("rules for %s: %w", kind, notFound(err))
	}
	rs.DistinctApprovers = &distinct
	if err := json.Unmarshal(stages, &rs.Stages); err != nil {
		return rs, fmt.Errorf("rules for %s: %w", kind, err)
	}
	return rs, nil
}

// ApprovalRulesSave stores rs as the kind's next version and returns it, with
// its audit entry e (the saved rule set as its detail) in the same
// transaction: a rule edit is never without its record. The caller validates
// first; the table keeps every version, so a case's route can always be traced
// to the rules that chose it.
func (db *DB) ApprovalRulesSave(ctx context.Context, rs approval.RuleSet, by string, chain audit.Chain, e audit.Entry) (int, error) {
	stages, err := json.Marshal(rs.Stages)
	if err != nil {
		return 0, err
	}
	var v int
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		// Lock the kind's rows so two admins saving at once get consecutive versions.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('approval_rules/' || $1))`, string(rs.Kind)); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `INSERT INTO approval_rules (kind, version, stages, updated_by, distinct_approvers)
			SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4 FROM approval_rules WHERE kind = $1
			RETURNING version`, string(rs.Kind), stages, by, rs.Distinct()).Scan(&v)
		if err != nil {
			return err
		}
		rs.Version = v
		distinct := rs.Distinct()
		rs.DistinctApprovers = &distinct
		e.Detail, _ = json.Marshal(rs)
		_, err = auditAppend(ctx, tx, chain, e)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("save rules for %s: %w", rs.Kind, err)
	}
	return v, nil
}

// ApprovalRuleEditors lists who saved kind's rules at or after since: separation
// of duties keeps them from approving under rules they just wrote.
func (db *DB) ApprovalRuleEditors(ctx context.Context, kind approval.Kind, since time.Time) ([]string, error) {
	return queryList(ctx, db.pool, fmt.Sprintf("rule editors of %s", kind), pgx.RowTo[string], `SELECT DISTINCT updated_by FROM approval_rules
		WHERE kind = $1 AND updated_at >= $2 ORDER BY updated_by`, string(kind), since)
}

// --- people: roles, managers, out-of-office ---

// UsersWithRole lists the users holding role, by ID; a disabled user holds
// no step (their work was handed over or waits for a successor).
func (db *DB) UsersWithRole(ctx context.Context, role string) ([]string, error) {
	return queryList(ctx, db.pool, fmt.Sprintf("users with role %s", role), pgx.RowTo[string],
		`SELECT id FROM users WHERE $1 = ANY(roles) AND NOT disabled ORDER BY id`, role)
}

// UsersDisabled lists which of ids are disabled accounts: the approvers'
// manager climb passes over them (RoutingStatus does it for the people a
// stage names, UsersWithRole for a role's members).
func (db *DB) UsersDisabled(ctx context.Context, ids []string) ([]string, error) {
	return queryList(ctx, db.pool, "disabled users", pgx.RowTo[string],
		`SELECT id FROM users WHERE id = ANY($1) AND disabled ORDER BY id`, ids)
}

// Managers maps each of ids that has a manager to that manager.
func (db *DB) Managers(ctx context.Context, ids []string) (map[string]string, error) {
	return queryPairs(ctx, db.pool, "managers", `SELECT id, manager_id FROM users WHERE id = ANY($1) AND manager_id IS NOT NULL`, ids)
}

// Delegation is a time-boxed out-of-office hand-over.
type Delegation struct {
	ID        int64      `json:"id"`
	User      string     `json:"user"`
	Delegate  string     `json:"delegate"`
	Starts    time.Time  `json:"starts_at"`
	Ends      time.Time  `json:"ends_at"`
	Reason    string     `json:"reason,omitempty"`
	CreatedBy string     `json:"created_by,omitempty"`
	EndedAt   *time.Time `json:"ended_at,omitempty"`
	EndedBy   string     `json:"ended_by,omitempty"`
}

// delegationActive is the predicate of a delegation in force at $t, on alias-free delegations.
const delegationActive = `starts_at <= %[1]s AND ends_at > %[1]s AND (ended_at IS NULL OR ended_at > %[1]s)`

func activeAt(param string) string { return fmt.Sprintf(delegationActive, param) }

// DelegationAdd records an out-of-office delegation and its audit entry e (the
// delegation as its detail) in one transaction.
func (db *DB) DelegationAdd(ctx context.Context, d Delegation, chain audit.Chain, e audit.Entry) (int64, error) {
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO delegations (user_id, delegate_id, starts_at, ends_at, reason, created_by)
			VALUES ($1, $2, $3, $4, $5, NULLIF($6, '')) RETURNING id`, d.User, d.Delegate, d.Starts, d.Ends, d.Reason, d.CreatedBy).Scan(&d.ID)
		if err != nil {
			return err
		}
		e.ObjectID = fmt.Sprint(d.ID)
		e.Detail, _ = json.Marshal(d)
		_, err = auditAppend(ctx, tx, chain, e)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("add delegation: %w", err)
	}
	return d.ID, nil
}

// DelegationGet reads one delegation.
func (db *DB) DelegationGet(ctx context.Context, id int64) (Delegation, error) {
	var d Delegation
	var createdBy, endedBy *string
	err := db.pool.QueryRow(ctx, `SELECT id, user_id, delegate_id, starts_at, ends_at, reason, created_by, ended_at, ended_by
		FROM delegations WHERE id = $1`, id).Scan(&d.ID, &d.User, &d.Delegate, &d.Starts, &d.Ends, &d.Reason,
		&createdBy, &d.EndedAt, &endedBy)
	if err != nil {
		return d, fmt.Errorf("delegation %d: %w", id, notFound(err))
	}
	if createdBy != nil {
		d.CreatedBy = *createdBy
	}
	if endedBy != nil {
		d.EndedBy = *endedBy
	}
	d.Starts, d.Ends, d.EndedAt = d.Starts.UTC(), d.Ends.UTC(), utcPtr(d.EndedAt)
	return d, nil
}

// ErrDelegationEnded: the delegation is already over.
var ErrDelegationEnded = errors.New("the delegation has already ended")

// DelegationEnd ends delegation id at t, by who, with its audit entry e in the
// same transaction. Ending one already ended (or past its end) is a conflict
// and records nothing.
func (db *DB) DelegationEnd(ctx context.Context, id int64, who string, t time.Time, chain audit.Chain, e audit.Entry) (Delegation, error) {
	var d Delegation
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE delegations SET ended_at = $2, ended_by = $3
			WHERE id = $1 AND ended_at IS NULL AND ends_at > $2`, id, t, who)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrDelegationEnded
		}
		e.Detail, _ = json.Marshal(map[string]any{"delegation": id, "ended_at": t})
		_, err = auditAppend(ctx, tx, chain, e)
		return err
	})
	if err != nil {
		return d, fmt.Errorf("end delegation %d: %w", id, err)
	}
	return db.DelegationGet(ctx, id)
}

// RoutingStatus says, of users about to be routed a step at t, which are
// disabled accounts (they hold no step) and, for the others who are away,
// their delegate (the most recent delegation wins; one to a disabled account
// is not in effect, so the step stays with the approver). One round trip.
func (db *DB) RoutingStatus(ctx context.Context, users []string, t time.Time) (disabled []string, away map[string]string, err error) {
	type status struct {
		ID       string
		Disabled bool
		Delegate string
	}
	rows, err := queryList(ctx, db.pool, "routing status", pgx.RowToStructByPos[status], `
		SELECT u.id, u.disabled, coalesce(d.delegate_id, '') FROM users u
		LEFT JOIN LATERAL (SELECT delegate_id FROM delegations
			WHERE user_id = u.id AND `+activeAt("$2")+`
			  AND NOT EXISTS (SELECT 1 FROM users dd WHERE dd.id = delegate_id AND dd.disabled)
			ORDER BY created_at DESC LIMIT 1) d ON NOT u.disabled
		WHERE u.id = ANY($1) ORDER BY u.id`, users, t)
	if err != nil {
		return nil, nil, err
	}
	away = map[string]string{}
	for _, r := range rows {
		switch {
		case r.Disabled:
			disabled = append(disabled, r.ID)
		case r.Delegate != "":
			away[r.ID] = r.Delegate
		}
	}
	return disabled, away, nil
}

// DelegatorsOf lists who has delegated to user at t.
func (db *DB) DelegatorsOf(ctx context.Context, user string, t time.Time) ([]string, error) {
	return queryList(ctx, db.pool, fmt.Sprintf("delegators of %s", user), pgx.RowTo[string], `SELECT DISTINCT user_id FROM delegations
		WHERE delegate_id = $1 AND `+activeAt("$2")+` ORDER BY user_id`, user, t)
}

// --- cases and steps ---

// CaseSave records a case's state with the notifications it causes, ignoring a
// state older than the one stored. It is one round trip: a batch that
// PostgreSQL runs as one implicit transaction (a single Sync), in which the
// steps are written only if the case row now holds this very version.
//
// entries are the audit entries of the change (a decision, a comment, a
// withdrawal): with any, the batch runs in a transaction that appends them
// too, and only when this save stored the version, so a retried save (the
// version is already there) records nothing twice.
//
// A decided step is saved with its working time from entry to decision on
// the company calendar (working_seconds, what the stage times count), read
// first when the case has one: one more round trip for those saves only.
func (db *DB) CaseSave(ctx context.Context, c approval.Case, notes []Notification, chain audit.Chain, entries []audit.Entry, bar *RuleEditorBar) error {
	var cal *calendar.Calendar
	if slices.ContainsFunc(c.Steps, func(s approval.Step) bool { return s.DecidedAt != nil }) {
		var err error
		if cal, err = companyCalendar(ctx, db.pool); err != nil {
			return fmt.Errorf("save case %s v%d: %w", c.ID, c.Version, err)
		}
	}
	b := caseBatch(c, notes, cal)
	if bar != nil {
		// Asked last in the same batch, so it costs no trip of its own; a
		// barred decision rolls back with everything it wrote.
		b.Queue(`SELECT EXISTS (SELECT 1 FROM approval_rules WHERE kind = $1 AND updated_by = $2 AND updated_at >= $3)`,
			string(bar.Kind), bar.Actor, bar.Since)
	}
	if len(entries) == 0 && bar == nil {
		if err := db.pool.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("save case %s v%d: %w", c.ID, c.Version, err)
		}
		return nil
	}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		br := tx.SendBatch(ctx, b)
		tag, err := br.Exec()
		if err != nil {
			br.Close()
			return err
		}
		if bar != nil {
			for range b.Len() - 2 { // the steps and notifications
				if _, err := br.Exec(); err != nil {
					br.Close()
					return err
				}
			}
			var barred bool
			if err := br.QueryRow().Scan(&barred); err != nil {
				br.Close()
				return err
			}
			if barred && tag.RowsAffected() > 0 {
				br.Close()
				return ErrRuleEditor
			}
		}
		if err := br.Close(); err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return nil // this version (or a newer one) was saved before: its entries with it
		}
		for _, e := range entries {
			if _, err := auditAppend(ctx, tx, chain, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save case %s v%d: %w", c.ID, c.Version, err)
	}
	return nil
}

// RuleEditorBar asks CaseSave to refuse a decision by Actor when they saved
// Kind's routing rules since Since (separation of duties).
type RuleEditorBar struct {
	Actor string
	Kind  approval.Kind
	Since time.Time
}

// ErrRuleEditor is CaseSave's refusal under a RuleEditorBar; nothing was saved.
var ErrRuleEditor = errors.New("the decider edited the routing rules lately")

// caseBatch is the statements of CaseSave; cal counts the decided steps'
// working time (nil when none is decided).
func caseBatch(c approval.Case, notes []Notification, cal *calendar.Calendar) *pgx.Batch {
	excluded, _ := json.Marshal(c.Excluded)
	if c.Excluded == nil {
		excluded = []byte("[]")
	}
	route, _ := json.Marshal(c.Route)
	subject, _ := json.Marshal(c.Subject)
	previous, _ := json.Marshal(c.PreviousSubject)
	facts, _ := json.Marshal(c.Facts)
	comments, _ := json.Marshal(c.Comments)
	b := &pgx.Batch{}
	b.Queue(`
		INSERT INTO approval_cases (id, kind, deal_id, title, requester, team, status, round, rules_version,
			route, subject, facts, comments, opened_at, closed_at, version, previous_subject,
			excluded, distinct_approvers, controls)
		VALUES ($1,$2,NULLIF($3,''),$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20)
		ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, status = EXCLUDED.status,
			excluded = EXCLUDED.excluded, distinct_approvers = EXCLUDED.distinct_approvers,
			controls = EXCLUDED.controls,
			round = EXCLUDED.round, rules_version = EXCLUDED.rules_version, route = EXCLUDED.route,
			subject = EXCLUDED.subject, facts = EXCLUDED.facts, comments = EXCLUDED.comments,
			closed_at = EXCLUDED.closed_at, version = EXCLUDED.version,
			previous_subject = EXCLUDED.previous_subject
		WHERE approval_cases.version < EXCLUDED.version`,
		c.ID, string(c.Kind), c.DealID, c.Title, c.Requester, c.Team, string(c.Status), c.Round, c.RulesVersion,
		route, subject, facts, comments, c.OpenedAt, c.ClosedAt, c.Version, previous,
		excluded, c.DistinctApprovers, c.Controls)
	for _, s := range c.Steps {
		changes, _ := json.Marshal(s.Changes)
		b.Queue(`INSERT INTO approval_steps (id, case_id, kind, team, requester, round, stage_index, stage,
				approver, on_behalf_of, status, entered_at, remind_at, due_at, decided_at, decided_by, note,
				changes, escalation_level, working_seconds)
			SELECT $1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$21
			WHERE EXISTS (SELECT 1 FROM approval_cases WHERE id = $2 AND version = $20)
			ON CONFLICT (case_id, id) DO UPDATE SET approver = EXCLUDED.approver, on_behalf_of = EXCLUDED.on_behalf_of,
				status = EXCLUDED.status, decided_at = EXCLUDED.decided_at, decided_by = EXCLUDED.decided_by,
				note = EXCLUDED.note, escalation_level = EXCLUDED.escalation_level,
				-- as decided: a later save (under a since edited calendar) keeps the figure
				working_seconds = CASE WHEN (approval_steps.status, approval_steps.decided_at)
						IS NOT DISTINCT FROM (EXCLUDED.status, EXCLUDED.decided_at)
					THEN coalesce(approval_steps.working_seconds, EXCLUDED.working_seconds) ELSE EXCLUDED.working_seconds END
			WHERE (approval_steps.approver, approval_steps.on_behalf_of, approval_steps.status,
				approval_steps.decided_at, approval_steps.note, approval_steps.escalation_level)
				IS DISTINCT FROM (EXCLUDED.approver, EXCLUDED.on_behalf_of, EXCLUDED.status,
				EXCLUDED.decided_at, EXCLUDED.note, EXCLUDED.escalation_level)`,
			s.ID, c.ID, string(c.Kind), c.Team, c.Requester, s.Round, s.StageIndex, s.Stage, s.Approver,
			s.OnBehalfOf, string(s.Status), s.EnteredAt, s.RemindAt, s.DueAt, s.DecidedAt, s.DecidedBy, s.Note,
			changes, s.EscalationLevel, c.Version, workedSeconds(cal, s))
	}
	for _, n := range notes {
		notificationQueue(b, n)
	}
	return b
}

// CaseOutcome is where a case stands as its workflow saved it, with the last
// decision of its round (as the workflow tells its parent).
type CaseOutcome struct {
	Status approval.Status
	Round  int
	By     string
	Note   string
}

// CaseOutcome reads the case's recorded outcome.
func (db *DB) CaseOutcome(ctx context.Context, id string) (CaseOutcome, error) {
	var o CaseOutcome
	err := db.pool.QueryRow(ctx, `SELECT c.status, c.round, coalesce(s.decided_by, ''), coalesce(s.note, '')
		FROM approval_cases c LEFT JOIN LATERAL (SELECT decided_by, note FROM approval_steps
			WHERE case_id = c.id AND round = c.round AND status IN ('approved', 'rejected')
			ORDER BY decided_at DESC LIMIT 1) s ON true
		WHERE c.id = $1`, id).Scan(&o.Status, &o.Round, &o.By, &o.Note)
	if err != nil {
		return o, fmt.Errorf("case %s outcome: %w", id, notFound(err))
	}
	return o, nil
}

// CaseGet reads a case with all its steps, oldest first.
func (db *DB) CaseGet(ctx context.Context, id string) (approval.Case, error) {
	cs, err := db.CasesGet(ctx, []string{id})
	if err == nil && len(cs) == 0 {
		err = ErrNotFound
	}
	if err != nil {
		return approval.Case{}, fmt.Errorf("get case %s: %w", id, err)
	}
	return cs[0], nil
}

// CasesGet reads the cases among ids with all their steps, in the order of
// ids, as of one snapshot: two queries however many cases a page shows. A
// missing case is left out.
func (db *DB) CasesGet(ctx context.Context, ids []string) ([]approval.Case, error) {
	var out []approval.Case
	err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly},
		func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, `SELECT id, kind, coalesce(deal_id, ''), title, requester, team, status, round, rules_version,
					route, subject, previous_subject, facts, comments, opened_at, closed_at, version,
					excluded, distinct_approvers, controls
				FROM approval_cases WHERE id = ANY($1)`, ids)
			if err != nil {
				return err
			}
			cases, err := pgx.CollectRows(rows, scanCase)
			if err != nil {
				return err
			}
			byID := make(map[string]*approval.Case, len(cases))
			for i := range cases {
				byID[cases[i].ID] = &cases[i]
			}
			rows, err = tx.Query(ctx, `SELECT case_id, `+stepColumns+` FROM approval_steps WHERE case_id = ANY($1)
				ORDER BY case_id, round, stage_index, entered_at, id`, ids)
			if err != nil {
				return err
			}
			_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
				var caseID string
				s, err := scanStepAfter(r, &caseID)
				if c := byID[caseID]; err == nil && c != nil {
					c.Steps = append(c.Steps, s)
				}
				return struct{}{}, err
			})
			if err != nil {
				return err
			}
			for _, id := range ids {
				if c := byID[id]; c != nil {
					out = append(out, caseRead(*c))
					delete(byID, id) // an ID asked for twice is one case
				}
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("get cases: %w", err)
	}
	return out, nil
}

// scanCase reads a case row, its JSON columns decoded.
func scanCase(r pgx.CollectableRow) (approval.Case, error) {
	var c approval.Case
	var route, subject, previous, facts, comments, excluded []byte
	err := r.Scan(&c.ID, &c.Kind, &c.DealID, &c.Title, &c.Requester, &c.Team, &c.Status, &c.Round, &c.RulesVersion,
		&route, &subject, &previous, &facts, &comments, &c.OpenedAt, &c.ClosedAt, &c.Version, &excluded,
		&c.DistinctApprovers, &c.Controls)
	if err != nil {
		return c, err
	}
	for _, j := range []struct {
		b []byte
		v any
	}{{route, &c.Route}, {subject, &c.Subject}, {previous, &c.PreviousSubject}, {facts, &c.Facts}, {comments, &c.Comments}, {excluded, &c.Excluded}} {
		if j.b == nil { // SQL NULL: previous_subject before a second round
			continue
		}
		if err := json.Unmarshal(j.b, j.v); err != nil {
			return c, err
		}
	}
	return c, nil
}

// caseRead finishes a case as read: times in UTC and the current stage.
func caseRead(c approval.Case) approval.Case {
	c.OpenedAt = c.OpenedAt.UTC()
	c.ClosedAt = utcPtr(c.ClosedAt)
	if len(c.Excluded) == 0 {
		c.Excluded = nil
	}
	for i := range c.Comments {
		c.Comments[i].At = c.Comments[i].At.UTC()
	}
	// The current stage is the newest round's last entered stage, or past the
	// end once approved; the workflow holds the same.
	c.Current = 0
	for _, s := range c.Steps {
		if s.Round == c.Round && s.StageIndex > c.Current {
			c.Current = s.StageIndex
		}
	}
	if c.Status == approval.StatusApproved {
		c.Current = len(c.Route)
	}
	return c
}

const stepColumns = `id, round, stage_index, stage, approver, on_behalf_of, status, entered_at, remind_at, due_at,
	decided_at, decided_by, note, changes, escalation_level`

// scanStepAfter reads a step's columns after the columns first names.
func scanStepAfter(r pgx.CollectableRow, first ...any) (s approval.Step, err error) {
	var changes []byte
	err = r.Scan(append(first, &s.ID, &s.Round, &s.StageIndex, &s.Stage, &s.Approver, &s.OnBehalfOf, &s.Status, &s.EnteredAt,
		&s.RemindAt, &s.DueAt, &s.DecidedAt, &s.DecidedBy, &s.Note, &changes, &s.EscalationLevel)...)
	if err != nil {
		return s, err
	}
	s.EnteredAt, s.RemindAt, s.DueAt, s.DecidedAt = s.EnteredAt.UTC(), utcPtr(s.RemindAt), utcPtr(s.DueAt), utcPtr(s.DecidedAt)
	if err := json.Unmarshal(changes, &s.Changes); err != nil {
		return s, err
	}
	if len(s.Changes) == 0 {
		s.Changes = nil
	}
	return s, nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// OpenStep is a pending step as inboxes and reports show it.
type OpenStep struct {
	StepID     string     `json:"step_id"`
	CaseID     string     `json:"case_id"`
	Kind       string     `json:"kind"`
	Title      string     `json:"title"`
	DealID     string     `json:"deal_id,omitempty"`
	Requester  string     `json:"requester"`
	Team       string     `json:"team,omitempty"`
	Stage      string     `json:"stage"`
	Round      int        `json:"round"`
	Holder     string     `json:"holder"`
	OnBehalfOf string     `json:"on_behalf_of,omitempty"`
	EnteredAt  time.Time  `json:"entered_at"`
	DueAt      *time.Time `json:"due_at,omitempty"`
	Escalated  int        `json:"escalation_level"`
}

const openStepSelect = `SELECT s.id, s.case_id, s.kind, c.title, coalesce(c.deal_id, ''), s.requester, s.team, s.stage,
	s.round, s.approver, s.on_behalf_of, s.entered_at, s.due_at, s.escalation_level
	FROM approval_steps s JOIN approval_cases c ON c.id = s.case_id`

func scanOpenStep(r pgx.CollectableRow) (o OpenStep, err error) {
	err = r.Scan(&o.StepID, &o.CaseID, &o.Kind, &o.Title, &o.DealID, &o.Requester, &o.Team, &o.Stage, &o.Round,
		&o.Holder, &o.OnBehalfOf, &o.EnteredAt, &o.DueAt, &o.Escalated)
	o.EnteredAt, o.DueAt = o.EnteredAt.UTC(), utcPtr(o.DueAt)
	return o, err
}

// Inbox lists the pending steps held by user or by those who delegated to user
// (out of office), oldest first.
func (db *DB) Inbox(ctx context.Context, user string, holders []string, limit int) ([]OpenStep, error) {
	return queryList(ctx, db.pool, fmt.Sprintf("inbox of %s", user), scanOpenStep, openStepSelect+`
		WHERE s.status = 'pending' AND s.approver = ANY($1)
		ORDER BY s.entered_at, s.id LIMIT $2`, append([]string{user}, holders...), limit)
}

// caseVisible is the SQL predicate of a case (alias k) the viewer may see, the
// same rule as for deals and customers: they asked for it; they hold or held
// one of its steps, for themselves, for someone away, or as the delegate of a
// holder away now; or they may see its subject (the deal by dealVisible, the
// customer of a terms change by customerEntitled). Those who see every deal
// and customer ($2: finance, market management, admins) see every case, which
// is said first so that the reports they read skip the other tests. The
// viewer is $1..$7 (caseArgs), shifted by the caller to where its parameters
// start.
var caseVisible = `($2 OR k.requester = $1
	OR EXISTS (SELECT 1 FROM approval_steps vs WHERE vs.case_id = k.id AND (vs.approver = $1 OR vs.on_behalf_of = $1
		OR vs.approver IN (SELECT user_id FROM delegations WHERE delegate_id = $1 AND ` + activeAt("$7") + `)))
	OR EXISTS (SELECT 1 FROM deals d WHERE d.id = k.deal_id AND ` + dealVisible + `)
	OR EXISTS (SELECT 1 FROM terms_changes t JOIN customers c ON c.code = t.customer_code
		WHERE t.case_id = k.id AND ` + strings.ReplaceAll(customerEntitled, "$5", "$6") + `))`

// caseVisible placed after the stuck report's six parameters and the stage
// times' one, renumbered once rather than on every request.
var caseVisibleAfter6, caseVisibleAfter1 = shift(caseVisible, 6), shift(caseVisible, 1)

func (v Viewer) caseArgs(now time.Time) []any {
	return append(v.args(), v.Unowned, now)
}

var placeholder = regexp.MustCompile(`\$(\d+)`)

// shift renumbers the placeholders of sql by n, to embed it after n parameters.
func shift(sql string, n int) string {
	return placeholder.ReplaceAllStringFunc(sql, func(p string) string {
		i, _ := strconv.Atoi(p[1:])
		return "$" + strconv.Itoa(i+n)
	})
}

// CaseVisible reports whether v may see case id at now; a case v may not see
// is, to v, a case that does not exist.
func (db *DB) CaseVisible(ctx context.Context, id string, v Viewer, now time.Time) (bool, error) {
	return queryValue[bool](ctx, db.pool, "case "+id+" visible", `SELECT EXISTS (SELECT 1 FROM approval_cases k WHERE k.id = $8 AND `+caseVisible+`)`,
		append(v.caseArgs(now), id)...)
}

// StuckFilter narrows the stuck report. Zero values match everything.
type StuckFilter struct {
	// Viewer is who is asking; the report holds only the cases they may see.
	Viewer    Viewer
	Kind      string
	Team      string
	Requester string // the owner of the request
	Holder    string
	MinAge    time.Duration // waiting at least this long
	Now       time.Time
	Limit     int
}

// Stuck lists open steps, most overdue first (those without a due time last).
func (db *DB) Stuck(ctx context.Context, f StuckFilter) ([]OpenStep, error) {
	q, args := stuckQuery(f)
	return queryList(ctx, db.pool, "stuck report", scanOpenStep, q, args...)
}

// caseReach is the cases a viewer who does not see every case may see, the
// same cases as caseVisible said as the ways a case becomes theirs, so that
// PostgreSQL reads them from the requester, approver, delegate, deal and
// customer indexes instead of testing every case: they asked for it; they
// hold or held one of its steps, for themselves, for someone away, or as the
// delegate of a holder away now; they may see its deal (dealReach, the same
// deals as dealVisible) or the customer of its terms change. The viewer is
// $1..$7 (caseArgs). TestCaseReachIsCaseVisible holds it to caseVisible.
var caseReach = caseReachVia(dealsReached)

// caseReachVia is caseReach with the deals reached as deals says.
func caseReachVia(deals string) string {
	return `SELECT k.id FROM approval_cases k WHERE k.requester = $1
	UNION SELECT vs.case_id FROM approval_steps vs WHERE vs.approver = $1
	UNION SELECT vs.case_id FROM approval_steps vs WHERE vs.on_behalf_of = $1 AND vs.on_behalf_of <> ''
	UNION SELECT vs.case_id FROM approval_steps vs
		WHERE vs.approver IN (SELECT user_id FROM delegations WHERE delegate_id = $1 AND ` + activeAt("$7") + `)
	UNION SELECT k.id FROM approval_cases k WHERE k.deal_id = ANY(ARRAY(` + deals + `))
	UNION SELECT t.case_id FROM terms_changes t JOIN customers c ON c.code = t.customer_code
		WHERE t.case_id IS NOT NULL AND ` + strings.ReplaceAll(customerEntitled, "$5", "$6")
}

// dealsReached is the IDs of the deals dealVisible lets a viewer who does not
// see every deal see ($1..$5), one index-only scan per way a deal is theirs
// (a few may repeat): those they are named on (dealsNamed) and their team's
// and reports' (teamOwners).
const dealsReached = dealsNamed + `
	UNION ALL SELECT id FROM deals WHERE sales_owner = ANY(ARRAY(` + teamOwners + `))`

// dealsNamed is the deals a viewer is named on or whose stage their
// department works.
const dealsNamed = `SELECT id FROM deals WHERE sales_owner = $1
	UNION ALL SELECT id FROM deals WHERE discoverer = $1
	UNION ALL SELECT id FROM deals WHERE delivery_owner = $1
	UNION ALL SELECT id FROM deals WHERE payment_owner = $1
	UNION ALL SELECT id FROM deals WHERE created_by = $1
	UNION ALL SELECT id FROM deals WHERE stage = ANY($5)`

// teamOwners is the sales owners whose deals a manager or assistant sees as
// their team's or their reports' ($1, $3, $4).
const teamOwners = `SELECT o.id FROM users o WHERE ($3 <> '' AND o.team = $3) OR ($4 AND o.manager_id = $1)`

var caseReachAfter6, caseReachAfter1 = shift(caseReach, 6), shift(caseReach, 1)

// reachedSteps is the steps of the cases caseReach reaches ($2..$8, after
// the stage times' kind), each once, read by index: those of the team's
// and reports' deals by their deal_owner (approval_steps_deal_owner_times_idx,
// migration 00115: a few index ranges, not a probe per case), then those of
// the cases reached any other way whose deal is not one of those.
var reachedSteps = `SELECT s.kind, s.stage, s.stage_index, s.status, s.entered_at, s.decided_at, s.working_seconds
		FROM approval_steps s WHERE s.deal_owner = ANY(ARRAY(` + shift(teamOwners, 1) + `))
	UNION ALL SELECT s.kind, s.stage, s.stage_index, s.status, s.entered_at, s.decided_at, s.working_seconds
		FROM (` + shift(caseReachVia(dealsNamed), 1) + `) r (id) JOIN approval_steps s ON s.case_id = r.id
		WHERE s.deal_owner IS NULL OR s.deal_owner <> ALL(ARRAY(` + shift(teamOwners, 1) + `))`

// stuckQuery is the stuck report's query. For those who see every case it
// reads the open steps most overdue first from approval_steps_open_due_idx
// (or the kind, team, requester or holder one) and stops at the limit, and so
// for anyone when the report is of one holder, requester or kind; for the others
// it reads the open steps of the cases they may see (caseReach,
// approval_steps_open_case_due_idx) and sorts those: a manager's few thousand,
// not the 100,000 open steps tested one by one, most of them not theirs.
func stuckQuery(f StuckFilter) (string, []any) {
	visible := `EXISTS (SELECT 1 FROM approval_cases k WHERE k.id = s.case_id AND ` + caseVisibleAfter6 + `)`
	// A holder's or a requester's open steps are few (their index finds
	// them); testing each is cheaper than reaching every case first. So with
	// a kind: the kind's index yields its open steps most overdue first and
	// the scan stops at the limit, where reaching every case first made a
	// sales manager's kind= report 0.73× as fast (issue 11).
	if !f.Viewer.All && f.Holder == "" && f.Requester == "" && f.Kind == "" {
		// The reached cases' open steps most overdue first, from
		// approval_steps_open_case_due_idx alone (migration 00114), then
		// only the rows shown read in full. ($1, $3 and $4 are empty on
		// this path; named so that each parameter has a type.)
		return openStepSelect + `
		JOIN (SELECT s.case_id, s.id FROM (` + caseReachAfter6 + `) r (id)
			JOIN approval_steps s ON s.case_id = r.id AND s.status = 'pending'
			WHERE ($2 = '' OR s.team = $2) AND s.entered_at <= $5
			ORDER BY s.due_at ASC NULLS LAST, s.id LIMIT $6) top ON top.case_id = s.case_id AND top.id = s.id
		WHERE $1 = '' AND $3 = '' AND $4 = ''
		ORDER BY s.due_at ASC NULLS LAST, s.id`,
			append([]any{f.Kind, f.Team, f.Requester, f.Holder, f.Now.Add(-f.MinAge), f.Limit}, f.Viewer.caseArgs(f.Now)...)
	}
	return openStepSelect + `
		WHERE s.status = 'pending'
		  AND ($1 = '' OR s.kind = $1) AND ($2 = '' OR s.team = $2)
		  AND ($3 = '' OR s.requester = $3) AND ($4 = '' OR s.approver = $4)
		  AND s.entered_at <= $5
		  AND ` + visible + `
		ORDER BY s.due_at ASC NULLS LAST, s.id LIMIT $6`,
		append([]any{f.Kind, f.Team, f.Requester, f.Holder, f.Now.Add(-f.MinAge), f.Limit}, f.Viewer.caseArgs(f.Now)...)
}

// StageTime is how long one stage of one kind of review takes to decide, in
// working hours on the company calendar (AvgHours, P90Hours).
type StageTime struct {
	Kind      string  `json:"kind"`
	Stage     string  `json:"stage"`
	Decided   int64   `json:"decided"`
	AvgHours  float64 `json:"avg_hours"`
	P90Hours  float64 `json:"p90_hours"`
	OpenSteps int64   `json:"open_steps"`
}

// StageTimes summarises, per kind and stage, the working time from a step's
// entry to its decision (working_seconds, saved with the decision on the
// company calendar: a step entered Friday 17:00 and decided Monday 10:00
// counts two hours on a 09:00–18:00 calendar): where reviews lose their
// days. Only the cases v may see count.
//
// The times are counted in histogram buckets (approval_time_bucket: sixteen
// per doubling, about 4.4 % wide); the average is exact and the P90 is the
// mean of the bucket that holds the 90th percentile (nearest rank), within a
// bucket's width of the exact figure. Those who see every case read the
// buckets from approval_stage_times plus the deltas that wait in
// approval_stage_time_deltas (the triggers of migrations 00110 and 00111 append
// them in the transaction that writes the steps, open steps too;
// CompactStageTimes folds them in), in one statement, so the figure is exact
// whether a compaction has run or not; the others' are counted from the steps
// of the cases they may see (caseReach), by index alone.
func (db *DB) StageTimes(ctx context.Context, kind string, v Viewer, now time.Time) ([]StageTime, error) {
	q, args := stageTimesQuery(kind, v, now)
	type bucket struct {
		Kind, Stage        string
		StageIndex, Bucket int
		Decided, Open      int64
		Seconds            float64
	}
	buckets, err := queryList(ctx, db.pool, "stage times", pgx.RowToStructByPos[bucket], q, args...)
	if err != nil {
		return nil, fmt.Errorf("stage times: %w", err)
	}
	if v.All {
		// The scheduler compacts every tick; when it does not run (or decisions
		// outrun it), the reader that would sum many deltas folds them instead.
		var waiting int64
		if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT FROM approval_stage_time_deltas LIMIT $1) d`,
			StageTimesCompactAt).Scan(&waiting); err == nil && waiting >= StageTimesCompactAt {
			_, _ = db.CompactStageTimes(ctx)
		}
	}
	// Rows come by kind, stage and bucket; a stage's open steps on a row of
	// bucket -1.
	type acc struct {
		StageTime
		index   int
		seconds float64
		buckets []bucket
	}
	var stages []*acc
	at := map[[2]string]*acc{}
	for _, b := range buckets {
		a := at[[2]string{b.Kind, b.Stage}]
		if a == nil {
			a = &acc{StageTime: StageTime{Kind: b.Kind, Stage: b.Stage}, index: b.StageIndex}
			at[[2]string{b.Kind, b.Stage}] = a
			stages = append(stages, a)
		}
		a.index = min(a.index, b.StageIndex)
		if b.Bucket < 0 {
			a.OpenSteps += b.Open
			continue
		}
		if b.Decided > 0 {
			a.Decided += b.Decided
			a.seconds += b.Seconds
			a.buckets = append(a.buckets, b)
		}
	}
	out := make([]StageTime, 0, len(stages))
	slices.SortStableFunc(stages, func(x, y *acc) int {
		return cmp.Or(cmp.Compare(x.Kind, y.Kind), cmp.Compare(x.index, y.index), cmp.Compare(x.Stage, y.Stage))
	})
	for _, a := range stages {
		if a.Decided > 0 {
			a.AvgHours = a.seconds / float64(a.Decided) / 3600
			rank := int64(math.Ceil(0.9 * float64(a.Decided)))
			var seen int64
			for _, b := range a.buckets {
				if seen += b.Decided; seen >= rank {
					a.P90Hours = b.Seconds / float64(b.Decided) / 3600
					break
				}
			}
		}
		out = append(out, a.StageTime)
	}
	return out, nil
}

// stageTimesQuery reads the buckets of decided steps (kind, stage, stage
// index, bucket, decided, open, seconds) in kind, stage and bucket order, and
// each stage's open steps as bucket -1.
func stageTimesQuery(kind string, v Viewer, now time.Time) (string, []any) {
	if v.All {
		return `
		SELECT kind, stage, min(stage_index), bucket, CASE WHEN bucket >= 0 THEN sum(steps) ELSE 0 END::bigint,
			CASE WHEN bucket < 0 THEN sum(steps) ELSE 0 END::bigint, sum(seconds)::float8
		FROM (SELECT kind, stage, stage_index, bucket, steps, seconds FROM approval_stage_times
				WHERE ($1 = '' OR kind = $1)
			UNION ALL SELECT kind, stage, stage_index, bucket, steps, seconds FROM approval_stage_time_deltas
				WHERE ($1 = '' OR kind = $1)) t
		GROUP BY 1, 2, 4 HAVING sum(steps) > 0
		ORDER BY 1, 2, 4`, []any{kind}
	}
	// The reached steps by index alone (reachedSteps; the other ways'
	// cases joined to their steps, not case_id = ANY(…), so the planner
	// expects thousands, and read from approval_steps_case_times_idx,
	// migration 00114).
	return `
		SELECT kind, stage, min(stage_index), bucket,
			count(*) FILTER (WHERE bucket >= 0), count(*) FILTER (WHERE bucket < 0), coalesce(sum(secs), 0)::float8
		FROM (SELECT s.kind, s.stage, s.stage_index,
				CASE WHEN s.status = 'pending' THEN -1
					ELSE approval_time_bucket(approval_step_seconds(s.entered_at, s.decided_at, s.working_seconds)) END bucket,
				CASE WHEN s.status <> 'pending' THEN approval_step_seconds(s.entered_at, s.decided_at, s.working_seconds) END secs
			FROM (` + reachedSteps + `) s
			WHERE ($1 = '' OR s.kind = $1)
			  AND (s.status = 'pending' OR (s.status IN ('approved', 'rejected') AND s.decided_at IS NOT NULL))) t
		GROUP BY 1, 2, 4 ORDER BY 1, 2, 4`, append([]any{kind}, v.caseArgs(now)...)
}

// StageTimesCompactAt is how many waiting delta rows make StageTimes compact
// them after it has read.
const StageTimesCompactAt = 2000

// CompactStageTimes folds the deltas the approval_steps triggers appended
// (migration 00111) into approval_stage_times, in one statement: the deltas
// it deletes and the totals it adds them to commit together, so a reader
// (StageTimes sums both) never sees a delta twice or not at all. Several
// replicas may run it at once: a delta row is deleted (and so counted) by one
// of them only, the others skip it once the first commits; totals are
// upserted in key order, so two compactions do not deadlock. It returns how
// many delta rows it folded.
func (db *DB) CompactStageTimes(ctx context.Context) (int64, error) {
	return queryValue[int64](ctx, db.pool, "compact stage times", `
		WITH d AS (DELETE FROM approval_stage_time_deltas RETURNING *),
		folded AS (
			INSERT INTO approval_stage_times AS t (kind, stage, bucket, stage_index, steps, seconds)
				SELECT kind, stage, bucket, min(stage_index), sum(steps), sum(seconds) FROM d
				GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
			ON CONFLICT (kind, stage, bucket) DO UPDATE SET steps = t.steps + EXCLUDED.steps,
				seconds = t.seconds + EXCLUDED.seconds, stage_index = least(t.stage_index, EXCLUDED.stage_index)
			RETURNING 1)
		SELECT count(*) FROM d`)
}
