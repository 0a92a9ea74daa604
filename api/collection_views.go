package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/l2c/l2c/internal/database"
	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/money"
)

// The collection views as JSON: deliveries due and late, big deals signed
// recently and finance's dunning queue, beside the ageing and the forecast
// (collection.go). The pages and the workbook exports read the same
// database functions with the same viewer.

// receivableFilter is the office, owner and customer a view is narrowed to.
func receivableFilter(r *http.Request) database.ReceivableFilter {
	q := r.URL.Query()
	return database.ReceivableFilter{Office: strings.TrimSpace(q.Get("office")), Owner: strings.TrimSpace(q.Get("owner")),
		Customer: strings.TrimSpace(q.Get("customer"))}
}

// intParam reads a whole number from min to max from the query (def when absent).
func intParam(r *http.Request, name string, def, min, max int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < min || n > max {
		return 0, problem(http.StatusBadRequest, probInvalidQuery, "bad "+name,
			deal.FieldError{Field: name, Message: fmt.Sprintf("want a whole number from %d to %d", min, max)})
	}
	return n, nil
}

// bigDealParams are the big deals' amount (at least) and days (signed in
// the last), the company's L2C_BIG_DEAL_AMOUNT and L2C_BIG_DEAL_DAYS by default.
func bigDealParams(r *http.Request, def BigDeals) (money.Amount, int, error) {
	amount := def.Amount
	if s := r.URL.Query().Get("amount"); s != "" {
		a, err := money.Parse(s)
		if err != nil || a <= 0 {
			return 0, 0, problem(http.StatusBadRequest, probInvalidQuery, "bad amount",
				deal.FieldError{Field: "amount", Message: "want a positive amount such as 100000.00"})
		}
		amount = a
	}
	days, err := intParam(r, "days", def.Days, 1, 366)
	return amount, days, err
}

// deliveries lists the open orders the caller may see that are due within
// the next working days (database.DeliveryHorizon), or late.
func (h collectionAPI) deliveries(w http.ResponseWriter, r *http.Request) error {
	today := h.today()
	until := database.WorkdaysAhead(pages(h).workingCalendar(r.Context()), today, database.DeliveryHorizon)
	list, err := h.DB.DeliveriesReport(r.Context(), viewer(actor(r)), receivableFilter(r), today, until, 500)
	if err != nil {
		return err
	}
	list = orEmpty(list)
	return writeJSON(w, http.StatusOK, map[string]any{"today": today, "until": until, "deliveries": list})
}

// bigDeals lists the contracts of at least amount the caller may see,
// signed in the last days.
func (h collectionAPI) bigDeals(w http.ResponseWriter, r *http.Request) error {
	amount, days, err := bigDealParams(r, h.BigDeals)
	if err != nil {
		return err
	}
	list, err := h.DB.BigDealsReport(r.Context(), viewer(actor(r)), receivableFilter(r), amount, h.Now().AddDate(0, 0, -days), 500)
	if err != nil {
		return err
	}
	list = orEmpty(list)
	return writeJSON(w, http.StatusOK, map[string]any{"amount": amount, "days": days, "deals": list})
}

// dunningQueue is a page of the open instalments due by today, the most
// overdue first, with the ladder's next step; keyset paging (next).
func (h collectionAPI) dunningQueue(w http.ResponseWriter, r *http.Request) error {
	page, err := pageParams(r, 100, 500)
	if err != nil {
		return err
	}
	list, next, err := h.DB.DunningQueue(r.Context(), viewer(actor(r)), receivableFilter(r), h.today(), page.After, page.Limit)
	var ce *database.CursorError
	if errors.As(err, &ce) {
		return problem(http.StatusBadRequest, probInvalidQuery, "bad cursor", deal.FieldError{Field: "after", Message: ce.Error()})
	}
	if err != nil {
		return err
	}
	list = orEmpty(list)
	return writeJSON(w, http.StatusOK, map[string]any{"instalments": list, "next": next})
}
