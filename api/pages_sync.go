package api

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/scheduler"
)

// The integration page: the ERP sync's health per entity (what GET
// /api/v1/sync/health answers, with the run that is going and the rows the
// last run rejected), run now, the schedules, and the latest runs. For
// administrators only, as /api/v1/sync is; it starts and saves through the
// API's own functions (syncAdmin.start, syncAdmin.save).

// syncView is /sync.
type syncView struct {
	Entities []syncEntity
	Stale    int
	Runs     []database.SyncRun
}

// syncEntity is one entity's health line, its run going now and its
// schedule's form.
type syncEntity struct {
	database.SyncHealth
	// Running is the run going now (its attempts and last error while it retries).
	Running *database.SyncRun
	// Rejects are the rows the last run could not read, with why (the first 20).
	Rejects []database.SyncReject
	// The schedule form: what was typed into a refused one, and its messages.
	Spec, StaleAfter string
	FormEnabled      bool
	Error            string
	Errors           fieldErrors
	// Age is how long ago the checkpoint was, and StaleText the threshold, in words.
	Age, StaleText string
	// NextRun is when the schedule starts the next run (nil: off, or no
	// spec the scheduler reads): the spec counts in UTC, the page says
	// when that is in the company's zone.
	NextRun *time.Time
}

// syncRefusal is a refused run-now or schedule form of one entity.
type syncRefusal struct {
	Entity, Spec, StaleAfter string
	Enabled                  bool
	Error                    string
	Errors                   fieldErrors
}

// syncAdminOnly is the API's refusal of /api/v1/sync to others.
const syncAdminOnly = "only an administrator may manage the ERP sync"

func (p pages) syncPage(w http.ResponseWriter, r *http.Request, d pageData) {
	q := r.URL.Query()
	switch q.Get("done") {
	case "run":
		d.Notice = d.P.T("sync_started", d.P.T("entity."+q.Get("entity")), q.Get("run"))
	case "schedule":
		d.Notice = d.P.T("schedule_saved", d.P.T("entity."+q.Get("entity")))
	}
	p.showSync(w, r, http.StatusOK, d, nil)
}

func (p pages) showSync(w http.ResponseWriter, r *http.Request, status int, d pageData, refused *syncRefusal) {
	d.Title = d.P.T("sync")
	lines, err := p.DB.SyncHealthList(r.Context(), p.Now())
	if err != nil {
		p.failed(w, r, d, err)
		return
	}
	v := &syncView{}
	d.View = v
	for _, l := range lines {
		e := syncEntity{SyncHealth: l, Spec: l.Spec, StaleAfter: shortDuration(time.Duration(l.StaleAfterS) * time.Second),
			FormEnabled: l.Enabled, Errors: fieldErrors{}}
		e.StaleText = d.P.T("hm", l.StaleAfterS/3600, l.StaleAfterS%3600/60)
		if l.StaleAfterS%3600 == 0 {
			e.StaleText = d.P.T("h_only", l.StaleAfterS/3600)
		}
		if l.CheckpointAgeS != nil {
			e.Age = d.P.T("age_hm", *l.CheckpointAgeS/3600, *l.CheckpointAgeS%3600/60)
		}
		if l.Stale {
			v.Stale++
		}
		if sched, err := scheduler.ParseSpec(l.Spec); err == nil && l.Enabled {
			next := sched.Next(p.Now().UTC()) // as the scheduler reads it
			e.NextRun = &next
		}
		if l.RunningRun != "" {
			if run, err := p.DB.SyncRunGet(r.Context(), l.RunningRun); err == nil {
				e.Running = &run
			}
		}
		if l.LastRun != "" && l.RejectedLastRun > 0 {
			if e.Rejects, err = p.DB.SyncRejectsList(r.Context(), l.LastRun, 20); err != nil {
				p.failed(w, r, d, err)
				return
			}
		}
		if refused != nil && refused.Entity == l.Entity {
			e.Error, e.Errors = refused.Error, refused.Errors
			if refused.Spec != "" || refused.StaleAfter != "" {
				e.Spec, e.StaleAfter, e.FormEnabled = refused.Spec, refused.StaleAfter, refused.Enabled
			}
		}
		v.Entities = append(v.Entities, e)
	}
	if v.Runs, err = p.DB.SyncRunList(r.Context(), "", 20); err != nil {
		p.failed(w, r, d, err)
		return
	}
	var ids []string
	for _, run := range v.Runs {
		ids = append(ids, run.RequestedBy)
	}
	p.names(r.Context(), &d, ids...)
	p.render(w, status, "sync.html", d)
}

// syncRun is the "run now" button: the API's start, the same refusals.
func (p pages) syncRun(w http.ResponseWriter, r *http.Request, d pageData) {
	entity := chi.URLParam(r, "entity")
	d.Here = "/sync"
	id, err := syncAdmin{p.Deps}.start(r, entity)
	if err != nil {
		p.syncRefused(w, r, d, err, &syncRefusal{Entity: entity})
		return
	}
	http.Redirect(w, r, "/sync?done=run&entity="+url.QueryEscape(entity)+"&run="+url.QueryEscape(id)+"#sync-"+entity, http.StatusSeeOther)
}

// syncSchedule saves an entity's schedule through the API's checks; a
// refusal shows their messages next to the fields, with what was typed.
func (p pages) syncSchedule(w http.ResponseWriter, r *http.Request, d pageData) {
	entity := chi.URLParam(r, "entity")
	d.Here = "/sync"
	f := syncRefusal{Entity: entity, Spec: strings.TrimSpace(r.PostFormValue("spec")),
		StaleAfter: strings.TrimSpace(r.PostFormValue("stale_after")), Enabled: r.PostFormValue("enabled") == "true"}
	var stale *string
	if f.StaleAfter != "" {
		stale = &f.StaleAfter
	}
	if _, err := (syncAdmin{p.Deps}).save(r, entity, f.Spec, f.Enabled, stale); err != nil {
		p.syncRefused(w, r, d, err, &f)
		return
	}
	http.Redirect(w, r, "/sync?done=schedule&entity="+url.QueryEscape(entity)+"#sync-"+entity, http.StatusSeeOther)
}

// syncRefused shows the sync page with a refused form's messages next to its
// entity's fields; an entity that does not exist is a 404 page.
func (p pages) syncRefused(w http.ResponseWriter, r *http.Request, d pageData, err error, f *syncRefusal) {
	pr := asProblem(err, p.Log, r)
	if pr.Status == http.StatusNotFound {
		p.failed(w, r, d, err)
		return
	}
	f.Error, f.Errors = refusal(pr)
	p.showSync(w, r, pr.Status, d, f)
}

// shortDuration writes d as a person would type it: 2h, 1h30m, 90s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
