package api

import (
	"context"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/l2c/l2c/internal/audit"
	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/identity"
	"github.com/l2c/l2c/internal/workbook"
)

// auditTrail serves /api/v1/audit to admins: the trail as JSON pages, or whole
// as CSV (?format=csv), and a verification of the chain.
type auditTrail struct{ Deps }

func (h auditTrail) admin(r *http.Request) error {
	if !actor(r).Has(identity.RoleAdmin) {
		return problem(http.StatusForbidden, probForbidden, "the audit trail is for admins")
	}
	return nil
}

func (h auditTrail) list(w http.ResponseWriter, r *http.Request) error {
	if err := h.admin(r); err != nil {
		return err
	}
	q := r.URL.Query()
	// The CSV export is not paged: only the cursor is read before it.
	after, err := pageQuery{After: q.Get("after")}.afterSeq()
	if err != nil {
		return err
	}
	f := database.AuditFilter{After: after, Actor: q.Get("actor"), Action: q.Get("action"),
		ObjectType: q.Get("object_type"), ObjectID: q.Get("object_id")}
	if q.Get("format") == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="l2c-audit.csv"`)
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"seq", "at", "actor", "action", "object_type", "object_id", "detail", "mac"})
		// Actors and object IDs can be typed by anyone (a failed login's user
		// name): every cell is neutralised before a spreadsheet sees it.
		err := h.DB.AuditEach(r.Context(), f, func(e audit.Entry) error {
			row := []string{strconv.FormatInt(e.Seq, 10), e.At.Format(time.RFC3339Nano), e.Actor, e.Action,
				e.ObjectType, e.ObjectID, string(e.Detail), hex.EncodeToString(e.MAC)}
			for i := range row {
				row[i] = workbook.CSVCell(row[i])
			}
			return cw.Write(row)
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
	// Held against the checkpoints kept outside the database, when there are
	// any: a trail emptied or put back to an older copy verifies otherwise.
	var cps []audit.Checkpoint
	if h.AuditCheckpoints != "" {
		var err error
		if cps, err = audit.ReadCheckpointFile(h.AuditCheckpoints); err != nil {
			return err
		}
	}
	report, err := h.DB.AuditVerifyAgainst(r.Context(), h.Audit, cps)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, report)
}

// entry is the audit entry for a change the caller makes: append it in the
// change's own transaction (database.InTxAudited), so the change and its
// record commit together or not at all.
func (d Deps) entry(r *http.Request, action, objectType, objectID string, detail any) audit.Entry {
	return d.entryAs(actor(r).ID, action, objectType, objectID, detail)
}

// inTxAudited makes change and its audit entry in one transaction.
func (d Deps) inTxAudited(r *http.Request, change func(ctx context.Context) error, entry func() audit.Entry) error {
	return d.DB.InTxAudited(r.Context(), d.Audit, func(ctx context.Context) (audit.Entry, error) {
		if err := change(ctx); err != nil {
			return audit.Entry{}, err
		}
		return entry(), nil
	})
}

// saveAudited makes save and its audit entry (action on objectType, detail)
// in one transaction: a rules' page saved whole.
func (d Deps) saveAudited(r *http.Request, action, objectType string, detail any, save func(ctx context.Context) error) error {
	return d.inTxAudited(r, save, func() audit.Entry { return d.entry(r, action, objectType, "", detail) })
}

func (d Deps) entryAs(who, action, objectType, objectID string, detail any) audit.Entry {
	var raw []byte
	if detail != nil {
		raw, _ = json.Marshal(detail)
	}
	return audit.Entry{At: d.Now(), Actor: who, Action: action, ObjectType: objectType, ObjectID: objectID, Detail: raw}
}

// record appends an audit entry for what the caller just did, in a
// transaction of its own. The change it records has already happened, so a
// failure to record is logged loudly rather than reported to the caller as if
// the change had failed. That is right only for events that change nothing
// (logins, failed logins, a token's use); a change is recorded with entry, in
// its own transaction.
func (d Deps) record(r *http.Request, action, objectType, objectID string, detail any) {
	d.recordAs(r, actor(r).ID, action, objectType, objectID, detail)
}

// recordAs appends an entry for a request made as who: for logins, before
// anyone is authenticated.
func (d Deps) recordAs(r *http.Request, who, action, objectType, objectID string, detail any) {
	e := d.entryAs(who, action, objectType, objectID, detail)
	if _, err := d.DB.AuditAppend(r.Context(), d.Audit, e); err != nil {
		d.Log.ErrorContext(r.Context(), "audit entry lost", "action", action, "object", objectType+"/"+objectID, "err", err)
	}
}
