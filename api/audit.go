package api

import (
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/identity"
)

// auditTrail serves /api/v1/audit to admins: the trail as JSON pages, or whole
// as CSV (?format=csv), and a verification of the chain.
type auditTrail struct{ Deps }

func (h auditTrail) Routes() chi.Router {
	r := chi.NewRouter()
	r.Get("/", handle(h.Log, h.list))
	r.Get("/verify", handle(h.Log, h.verify))
	return r
}

func (h auditTrail) admin(r *http.Request) error {
	if !actor(r).Has(identity.RoleAdmin) {
		return problem(http.StatusForbidden, "forbidden", "the audit trail is for admins")
	}
	return nil
}

func (h auditTrail) list(w http.ResponseWriter, r *http.Request) error {
	if err := h.admin(r); err != nil {
		return err
	}
	q := r.URL.Query()
	var after int64
	if s := q.Get("after"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return problem(http.StatusBadRequest, "invalid_query", "bad cursor",
				deal.FieldError{Field: "after", Message: "want an entry number, 0 or more"})
		}
		after = n
	}
	f := database.AuditFilter{After: after, Actor: q.Get("actor"), Action: q.Get("action"),
		ObjectType: q.Get("object_type"), ObjectID: q.Get("object_id")}
	if q.Get("format") == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="l2c-audit.csv"`)
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"seq", "at", "actor", "action", "object_type", "object_id", "detail", "mac"})
		err := h.DB.AuditEach(r.Context(), f, func(e audit.Entry) error {
			return cw.Write([]string{strconv.FormatInt(e.Seq, 10), e.At.Format(time.RFC3339Nano), e.Actor, e.Action,
				e.ObjectType, e.ObjectID, string(e.Detail), hex.EncodeToString(e.MAC)})
		})
		cw.Flush()
		return err
	}
	limit, err := limitParam(r, 100, 1000)
	if err != nil {
		return err
	}
	entries := []audit.Entry{}
	f.Limit = limit
	if err := h.DB.AuditEach(r.Context(), f, func(e audit.Entry) error {
		entries = append(entries, e)
		return nil
	}); err != nil {
		return err
	}
	page := map[string]any{"entries": entries}
	if len(entries) == limit {
		page["next"] = entries[len(entries)-1].Seq
	}
	return writeJSON(w, http.StatusOK, page)
}

func (h auditTrail) verify(w http.ResponseWriter, r *http.Request) error {
	if err := h.admin(r); err != nil {
		return err
	}
	report, err := h.DB.AuditVerify(r.Context(), h.Audit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, report)
}

// record appends an audit entry for what the caller just did. The change it
// records has already happened, so a failure to record is logged loudly rather
// than reported to the caller as if the change had failed.
func (d Deps) record(r *http.Request, action, objectType, objectID string, detail any) {
	d.recordAs(r, actor(r).ID, action, objectType, objectID, detail)
}

// recordAs appends an entry for a request made as who: for logins, before
// anyone is authenticated.
func (d Deps) recordAs(r *http.Request, who, action, objectType, objectID string, detail any) {
	var raw []byte
	if detail != nil {
		raw, _ = json.Marshal(detail)
	}
	e := audit.Entry{At: d.Now(), Actor: who, Action: action, ObjectType: objectType, ObjectID: objectID, Detail: raw}
	if _, err := d.DB.AuditAppend(r.Context(), d.Audit, e); err != nil {
		d.Log.ErrorContext(r.Context(), "audit entry lost", "action", action, "object", objectType+"/"+objectID, "err", err)
	}
}
