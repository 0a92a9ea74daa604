package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/go-chi/chi/v5"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/scheduler"
	"github.com/l2c/l2c/workflows"
)

// syncAdmin serves /api/v1/sync: the ERP sync's schedules and runs. Only
// administrators may see or change them.
//
//	GET  /schedules            every entity's cron spec
//	PUT  /schedules/{entity}   {"spec": "*/10 * * * *", "enabled": true}
//	POST /{entity}/run         start a run now
//	GET  /runs?entity=&limit=  newest runs first, with counts
//	GET  /runs/{id}            one run, its progress and rejected rows
//	GET  /health               per entity: last success, checkpoint age, last run, stale or not
type syncAdmin struct{ Deps }

// requireRole refuses a request from someone without any of roles.
func requireRole(roles ...identity.Role) func(http.Handler) http.Handler {
	return requireRoleTo("only an administrator may manage the ERP sync", roles...)
}

// requireRoleTo lets through only holders of one of roles; the others are
// told msg.
func requireRoleTo(msg string, roles ...identity.Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !actor(r).Has(roles...) {
				writeProblem(w, r, problem(http.StatusForbidden, probForbidden, msg))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func (h syncAdmin) schedules(w http.ResponseWriter, r *http.Request) error {
	s, err := h.DB.SyncScheduleList(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"schedules": s})
}

func (h syncAdmin) saveSchedule(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Spec       string  `json:"spec"`
		Enabled    *bool   `json:"enabled"`
		StaleAfter *string `json:"stale_after"` // a Go duration, e.g. "2h"
	}
	entity := chi.URLParam(r, "entity")
	if !slices.Contains(workflows.SyncEntities, entity) {
		return problem(http.StatusNotFound, probNotFound, "no sync entity "+entity)
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	s, err := h.save(r, entity, in.Spec, in.Enabled == nil || *in.Enabled, in.StaleAfter)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s)
}

// save checks and saves entity's schedule, audited; the API and the sync
// page both save through here.
func (h syncAdmin) save(r *http.Request, entity, spec string, enabled bool, staleAfterText *string) (database.SyncSchedule, error) {
	if !slices.Contains(workflows.SyncEntities, entity) {
		return database.SyncSchedule{}, problem(http.StatusNotFound, probNotFound, "no sync entity "+entity)
	}
	if _, err := scheduler.ParseSpec(spec); err != nil {
		return database.SyncSchedule{}, problem(http.StatusUnprocessableEntity, probInvalid, "the schedule is not valid",
			deal.FieldError{Field: "spec", Message: err.Error()})
	}
	var staleAfter *time.Duration
	if staleAfterText != nil {
		d, err := time.ParseDuration(*staleAfterText)
		if err != nil || d < time.Minute || d > 30*24*time.Hour || d%time.Second != 0 {
			return database.SyncSchedule{}, problem(http.StatusUnprocessableEntity, probInvalid, "the staleness threshold is not valid",
				deal.FieldError{Field: "stale_after", Message: "want a duration from 1m to 720h in whole seconds, e.g. 2h"})
		}
		staleAfter = &d
	}
	// An administrative change: saved and audited in one transaction.
	var s database.SyncSchedule
	err := h.DB.InTxAudited(r.Context(), h.Audit, func(ctx context.Context) (audit.Entry, error) {
		var err error
		if s, err = h.DB.SyncScheduleSaveStale(ctx, entity, spec, enabled, staleAfter, actor(r).ID); err != nil {
			return audit.Entry{}, err
		}
		return h.entry(r, "sync.schedule.save", "sync_schedule", entity, map[string]any{"spec": spec, "enabled": enabled, "stale_after": staleAfterText}), nil
	})
	return s, err
}

func (h syncAdmin) runNow(w http.ResponseWriter, r *http.Request) error {
	id, err := h.start(r, chi.URLParam(r, "entity"))
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/sync/runs/"+id)
	return writeJSON(w, http.StatusAccepted, map[string]string{"id": id, "entity": chi.URLParam(r, "entity"), "status": "running"})
}

// start starts a run of entity now, unless one is still going; the API and
// the sync page both start runs here.
func (h syncAdmin) start(r *http.Request, entity string) (string, error) {
	if !slices.Contains(workflows.SyncEntities, entity) {
		return "", problem(http.StatusNotFound, probNotFound, "no sync entity "+entity)
	}
	scheds, err := h.DB.SyncScheduleList(r.Context())
	if err != nil {
		return "", err
	}
	for _, s := range scheds {
		if s.Entity != entity || s.RunningRun == "" {
			continue
		}
		// A run whose workflow ended without finishing (terminated by hand)
		// still holds the entity; the new run takes over from it.
		d, err := h.Temporal.DescribeWorkflowExecution(r.Context(), s.RunningRun, "")
		var nf *serviceerror.NotFound
		if err != nil && !errors.As(err, &nf) {
			return "", err
		}
		if err == nil && d.WorkflowExecutionInfo.Status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			return "", problem(http.StatusConflict, probSyncRunning, "run "+s.RunningRun+" of "+entity+
				" is still going; see /api/v1/sync/runs/"+s.RunningRun)
		}
	}
	bucket := "manual-" + workflows.SyncBucket(h.Now())
	id, started, err := scheduler.StartRun(r.Context(), h.Temporal, entity, workflows.SyncTriggerManual, actor(r).ID, bucket)
	if err != nil {
		return "", err
	}
	if !started {
		return "", problem(http.StatusConflict, probSyncRunning, "run "+id+" was just started; see /api/v1/sync/runs/"+id)
	}
	return id, nil
}

func (h syncAdmin) runs(w http.ResponseWriter, r *http.Request) error {
	limit, err := limitParam(r, 50, 500)
	if err != nil {
		// This list answered 422 before the lists shared a parser; its
		// clients (and TestSync...) keep that answer.
		return problem(http.StatusUnprocessableEntity, probInvalid, "limit must be 1 to 500",
			deal.FieldError{Field: "limit", Message: "want a number from 1 to 500"})
	}
	entity := r.URL.Query().Get("entity")
	if entity != "" && !slices.Contains(workflows.SyncEntities, entity) {
		return problem(http.StatusUnprocessableEntity, probInvalid, "no sync entity "+entity,
			deal.FieldError{Field: "entity", Message: "want customers, invoices or payments"})
	}
	runs, err := h.DB.SyncRunList(r.Context(), entity, limit)
	if err != nil {
		return err
	}
	runs = orEmpty(runs)
	return writeJSON(w, http.StatusOK, map[string]any{"runs": runs})
}

// run shows one run. Run IDs contain slashes (sync/customers/…), hence the
// wildcard route.
func (h syncAdmin) run(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "*")
	run, err := h.DB.SyncRunGet(r.Context(), id)
	if errors.Is(err, database.ErrNotFound) {
		return problem(http.StatusNotFound, probNotFound, "no sync run "+id)
	}
	if err != nil {
		return err
	}
	rejects, err := h.DB.SyncRejectsList(r.Context(), id, 100)
	if err != nil {
		return err
	}
	rejects = orEmpty(rejects)
	return writeJSON(w, http.StatusOK, struct {
		database.SyncRun
		Rejects []database.SyncReject `json:"rejects"`
	}{run, rejects})
}

// health is every entity's health line: an integration administrator's
// first look (is anything stale, failing, rejecting rows?).
func (h syncAdmin) health(w http.ResponseWriter, r *http.Request) error {
	lines, err := h.DB.SyncHealthList(r.Context(), h.Now())
	if err != nil {
		return err
	}
	lines = orEmpty(lines)
	stale := 0
	for _, l := range lines {
		if l.Stale {
			stale++
		}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"entities": lines, "stale": stale})
}
