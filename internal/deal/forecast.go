package deal

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/l2c/l2c/internal/identity"
)

// ActSetForecast records the sales owner's own view of a deal (issue 14,
// item 4): the commit category (pipeline, best case, commit) shown beside
// the probability l2c computes from its history, and the month they expect
// the order in, which places the deal in the weighted pipeline.
const ActSetForecast ActionName = "set_forecast"

// The commit categories, weakest first.
var CommitCategories = []string{"pipeline", "best_case", "commit"}

// SetForecastPayload is the owner's call. ExpectedOrderMonth is YYYY-MM,
// not before the current month; "" leaves the month as it is.
type SetForecastPayload struct {
	CommitCategory     string `json:"commit_category,omitempty"`
	ExpectedOrderMonth string `json:"expected_order_month,omitempty"`
}

var monthPattern = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])$`)

// forecasting: the commit is the sales owner's word; nobody else, their
// manager included, gives it for them.
func forecasting(d *Deal, by identity.User) error {
	if by.ID == d.Owners.Sales {
		return nil
	}
	return forbidden("only the sales owner (%s) gives their forecast of the deal", d.Owners.Sales)
}

func setForecast(next *Deal, _ identity.User, a Action, p SetForecastPayload, _ time.Time) (string, error) {
	month := strings.TrimSpace(p.ExpectedOrderMonth)
	switch {
	case p.CommitCategory == "":
		return "", badField("commit_category", "is required: pipeline, best_case or commit")
	case !slices.Contains(CommitCategories, p.CommitCategory):
		return "", badField("commit_category", "%q: want pipeline, best_case or commit", p.CommitCategory)
	case month != "" && !monthPattern.MatchString(month):
		return "", badField("expected_order_month", "%q: want a month as YYYY-MM", month)
	case month != "" && !a.Today.IsZero() && month < a.Today.String()[:7]:
		return "", badField("expected_order_month", "%s is past: the order cannot be expected before this month", month)
	}
	next.CommitCategory = p.CommitCategory
	if month != "" {
		next.ExpectedOrderMonth = month
	}
	reason := "forecast: " + p.CommitCategory
	if next.ExpectedOrderMonth != "" {
		reason += fmt.Sprintf(", order expected %s", next.ExpectedOrderMonth)
	}
	return orDefault(a.Reason, reason), nil
}
