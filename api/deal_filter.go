package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
)

// The deal list's filters, read the same way for GET /api/v1/deals and the
// page /deals: stage, owner (named in any role), customer (by code), holder
// (who the deal waits on now, a review's approver included) and age (at
// least min_stage_days days in its current stage). One parser, one set of
// refusals: a filter the API refuses the page refuses next to its field.

// maxStageDays bounds min_stage_days: ten years of days.
const maxStageDays = 3650

// dealFilterOf reads the filters of r's query for viewer v at now; each
// bad one is a field error naming it, and is left out of the filter.
func dealFilterOf(r *http.Request, v database.Viewer, now time.Time) (database.DealFilter, []deal.FieldError) {
	q := r.URL.Query()
	f := database.DealFilter{Viewer: v, Stage: deal.Stage(q.Get("stage")), Owner: strings.TrimSpace(q.Get("owner")),
		Customer: strings.TrimSpace(q.Get("customer")), Holder: strings.TrimSpace(q.Get("holder")), After: q.Get("after")}
	var bad []deal.FieldError
	if f.Stage != "" && !f.Stage.Valid() {
		bad = append(bad, deal.FieldError{Field: "stage", Message: fmt.Sprintf("%q is not a stage; want one of %v", f.Stage, deal.Stages)})
		f.Stage = ""
	}
	if s := strings.TrimSpace(q.Get("min_stage_days")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > maxStageDays {
			bad = append(bad, deal.FieldError{Field: "min_stage_days", Message: fmt.Sprintf("want a whole number of days from 0 to %d", maxStageDays)})
		} else if n > 0 {
			f.InStageBefore = now.Add(-time.Duration(n) * 24 * time.Hour)
		}
	}
	return f, bad
}
