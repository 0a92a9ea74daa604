// Package funnel is the funnel and forecast (issue 14, item 4), pure: how
// deals have moved from stage to stage in l2c's own history (conversion and
// time in stage), the probability of reaching the order from each stage
// (the history's when its sample is large enough, else the configured
// ladder's, and the answer says which), and the weighted pipeline by the
// month the order is expected in, beside the rep's commit category.
package funnel

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/l2c/l2c/internal/deal"
	"github.com/l2c/l2c/internal/money"
)

// Stages are the funnel's stages: those a deal can still be lost in. A deal
// that reaches the order is won.
var Stages = []deal.Stage{deal.StageOpportunity, deal.StageQuote, deal.StageBid, deal.StageContractReview}

// Commit categories: the sales owner's own call on a deal.
const (
	CommitPipeline = "pipeline"
	CommitBestCase = "best_case"
	CommitCommit   = "commit"
)

// CommitCategories lists them, weakest first.
var CommitCategories = []string{CommitPipeline, CommitBestCase, CommitCommit}

// Where a stage's probability came from.
const (
	SourceHistory = "history"
	SourceLadder  = "ladder"
)

// Rules: below MinSample decided deals (won or lost after entering the
// stage) a stage's probability is Ladder's, in basis points (10000 = 100%).
type Rules struct {
	MinSample int                `json:"min_sample"`
	Ladder    map[deal.Stage]int `json:"ladder"`
}

// DefaultRules are the rules out of the box (migration 00140).
var DefaultRules = Rules{MinSample: 20, Ladder: map[deal.Stage]int{
	deal.StageOpportunity: 1000, deal.StageQuote: 2500, deal.StageBid: 4000, deal.StageContractReview: 6000}}

// FieldError names one bad field of the rules.
type FieldError struct{ Field, Message string }

// Check returns every bad field of r: a sample of at least one, and a
// probability from 0 to 10000 for each funnel stage, none for another stage.
func (r Rules) Check() []FieldError {
	var out []FieldError
	if r.MinSample < 1 || r.MinSample > 100000 {
		out = append(out, FieldError{"min_sample", fmt.Sprintf("%d: want a whole number of deals from 1 to 100000", r.MinSample)})
	}
	for _, s := range Stages {
		bp, ok := r.Ladder[s]
		switch {
		case !ok:
			out = append(out, FieldError{"ladder." + string(s), "is required (basis points, 10000 = 100%)"})
		case bp < 0 || bp > 10000:
			out = append(out, FieldError{"ladder." + string(s), fmt.Sprintf("%d: want basis points from 0 to 10000", bp)})
		}
	}
	var extra []string
	for s := range r.Ladder {
		if !slices.Contains(Stages, s) {
			extra = append(extra, string(s))
		}
	}
	sort.Strings(extra)
	for _, s := range extra {
		out = append(out, FieldError{"ladder." + s, "is not a funnel stage (opportunity, quote, bid, contract_review)"})
	}
	return out
}

// Transition is one move of a deal between stages, as deal_history holds it
// (entries that stay in their stage are not transitions). From is "" for
// the deal's opening.
type Transition struct {
	DealID   string
	From, To deal.Stage
	At       time.Time
}

// StageFigures is what the history says about one stage.
type StageFigures struct {
	Stage deal.Stage `json:"stage"`
	// Entered: deals that ever entered the stage. MovedOn of them reached a
	// later stage, Lost were lost in it (it was the furthest they got),
	// Open are in it now.
	Entered int `json:"entered"`
	MovedOn int `json:"moved_on"`
	Lost    int `json:"lost"`
	Open    int `json:"open"`
	// ConversionBP is MovedOn out of MovedOn+Lost, in basis points; nil
	// while no deal has left the stage either way.
	ConversionBP *int `json:"conversion_bp"`
	// Won and LostLater: of the deals that entered the stage, those that
	// reached the order and those lost at it or after. Their sum is the
	// sample of the probability of reaching the order from here.
	Won       int `json:"won"`
	LostLater int `json:"lost_later"`
	Sample    int `json:"sample"`
	// HistoryBP is Won out of Sample (nil for an empty sample), LadderBP the
	// ladder's figure; ProbabilityBP is the one used, Source which it is.
	HistoryBP     *int   `json:"history_bp"`
	LadderBP      int    `json:"ladder_bp"`
	ProbabilityBP int    `json:"probability_bp"`
	Source        string `json:"source"`
	// Time in stage of the visits that ended (left for another stage), in
	// days to one decimal; nil without any.
	Exits      int      `json:"exits"`
	MeanDays   *float64 `json:"mean_days"`
	MedianDays *float64 `json:"median_days"`
}

// Funnel is the whole answer.
type Funnel struct {
	MinSample int            `json:"min_sample"`
	Deals     int            `json:"deals"`
	Stages    []StageFigures `json:"stages"`
}

// Probability returns the probability (basis points) of reaching the order
// from stage s and where it came from; an order or later is won (10000), a
// lost deal 0.
func (f Funnel) Probability(s deal.Stage) (int, string) {
	for _, sf := range f.Stages {
		if sf.Stage == s {
			return sf.ProbabilityBP, sf.Source
		}
	}
	if s == deal.StageLost {
		return 0, SourceHistory
	}
	return 10000, SourceHistory
}

// rank is a stage's place in the pipeline (lost has none: -1).
func rank(s deal.Stage) int {
	if s == deal.StageLost {
		return -1
	}
	return slices.Index(deal.Stages, s)
}

// Compute works the funnel out of ts, the transitions of a set of deals,
// each deal's in the order they happened.
func Compute(ts []Transition, r Rules) Funnel {
	type visit struct {
		stage deal.Stage
		at    time.Time
	}
	figures := map[deal.Stage]*StageFigures{}
	for _, s := range Stages {
		figures[s] = &StageFigures{Stage: s}
	}
	durations := map[deal.Stage][]time.Duration{}
	deals := 0
	for i := 0; i < len(ts); {
		j := i
		for j < len(ts) && ts[j].DealID == ts[i].DealID {
			j++
		}
		deals++
		entered := map[deal.Stage]bool{}
		var cur *visit
		furthest, lost := -1, false
		for _, t := range ts[i:j] {
			if cur != nil && cur.stage == t.From && t.To != t.From {
				durations[cur.stage] = append(durations[cur.stage], t.At.Sub(cur.at))
			}
			cur = &visit{t.To, t.At}
			if t.To == deal.StageLost {
				lost = true
				continue
			}
			lost = false
			entered[t.To] = true
			furthest = max(furthest, rank(t.To))
		}
		won := furthest >= rank(deal.StageOrder)
		for s, f := range figures {
			if !entered[s] {
				continue
			}
			f.Entered++
			switch {
			case furthest > rank(s):
				f.MovedOn++
			case lost:
				f.Lost++
			default:
				f.Open++
			}
			switch {
			case won:
				f.Won++
			case lost:
				f.LostLater++
			}
		}
		i = j
	}
	out := Funnel{MinSample: r.MinSample, Deals: deals}
	for _, s := range Stages {
		f := figures[s]
		if n := f.MovedOn + f.Lost; n > 0 {
			f.ConversionBP = ptr(ratioBP(f.MovedOn, n))
		}
		f.Sample = f.Won + f.LostLater
		if f.Sample > 0 {
			f.HistoryBP = ptr(ratioBP(f.Won, f.Sample))
		}
		f.LadderBP = r.Ladder[s]
		if f.Sample >= r.MinSample && f.HistoryBP != nil {
			f.ProbabilityBP, f.Source = *f.HistoryBP, SourceHistory
		} else {
			f.ProbabilityBP, f.Source = f.LadderBP, SourceLadder
		}
		if d := durations[s]; len(d) > 0 {
			f.Exits = len(d)
			var sum time.Duration
			for _, x := range d {
				sum += x
			}
			slices.Sort(d)
			median := d[len(d)/2]
			if len(d)%2 == 0 {
				median = (d[len(d)/2-1] + d[len(d)/2]) / 2
			}
			f.MeanDays, f.MedianDays = ptr(days(sum/time.Duration(len(d)))), ptr(days(median))
		}
		out.Stages = append(out.Stages, *f)
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// ratioBP is num/den in basis points, rounded half up.
func ratioBP(num, den int) int { return (num*20000 + den) / (2 * den) }

func days(d time.Duration) float64 { return math.Round(d.Hours()/24*10) / 10 }

// OpenDeal is a deal still before the order, as the forecast weighs it.
type OpenDeal struct {
	ID, Title, SalesOwner string
	Stage                 deal.Stage
	Currency              string
	// Amount is the best known: the contract's, else the newest quote's net
	// total, else the expected amount.
	Amount            money.Amount
	PurchaseTimeframe deal.Timeframe
	CommitCategory    string
	// ExpectedOrderMonth is the owner's (set_forecast), "" if never set.
	ExpectedOrderMonth string
	CreatedAt          time.Time
}

// WeightedDeal is one deal of the forecast.
type WeightedDeal struct {
	ID            string       `json:"id"`
	Title         string       `json:"title"`
	SalesOwner    string       `json:"sales_owner"`
	Stage         deal.Stage   `json:"stage"`
	Month         string       `json:"month"`
	MonthFrom     string       `json:"month_from"` // owner, timeframe, none
	Currency      string       `json:"currency"`
	Amount        money.Amount `json:"amount"`
	ProbabilityBP int          `json:"probability_bp"`
	Source        string       `json:"source"`
	Weighted      money.Amount `json:"weighted"`
	// CommitCategory is the rep's own call, shown beside the computed figure.
	CommitCategory string `json:"commit_category"`
}

// MonthTotal is one month and currency of the forecast.
type MonthTotal struct {
	Month    string       `json:"month"` // YYYY-MM; "" for deals with no month
	Currency string       `json:"currency"`
	Deals    int          `json:"deals"`
	Amount   money.Amount `json:"amount"`
	Weighted money.Amount `json:"weighted"`
	// ByCommit is the amount per commit category ("" = not set): the reps'
	// figure beside the computed weighted one.
	ByCommit map[string]money.Amount `json:"by_commit"`
}

// Forecast is the weighted pipeline.
type Forecast struct {
	Months []MonthTotal   `json:"months"`
	Deals  []WeightedDeal `json:"deals"`
}

// Month is the month d's order is expected in, and from what: the owner's
// month; else the purchase timeframe counted from the deal's opening (now:
// that month; 3_months, 6_months, 1_year: that many months on); else ""
// (none). A month already past while the deal is open is the current one.
func Month(d OpenDeal, now time.Time, loc *time.Location) (string, string) {
	current := now.In(loc).Format("2006-01")
	clamp := func(m string) string { return max(m, current) }
	if d.ExpectedOrderMonth != "" {
		return clamp(d.ExpectedOrderMonth), "owner"
	}
	months := map[deal.Timeframe]int{deal.TimeframeNow: 0, deal.Timeframe3Months: 3, deal.Timeframe6Months: 6, deal.TimeframeOneYear: 12}
	n, ok := months[d.PurchaseTimeframe]
	if !ok {
		return "", "none"
	}
	c := d.CreatedAt.In(loc)
	return clamp(time.Date(c.Year(), c.Month()+time.Month(n), 1, 0, 0, 0, 0, loc).Format("2006-01")), "timeframe"
}

// Weigh builds the forecast of ds with f's probabilities: months in order
// (those without a month last), deals by month then ID.
func Weigh(ds []OpenDeal, f Funnel, now time.Time, loc *time.Location) Forecast {
	out := Forecast{Months: []MonthTotal{}, Deals: []WeightedDeal{}}
	totals := map[[2]string]*MonthTotal{}
	for _, d := range ds {
		bp, source := f.Probability(d.Stage)
		w, _ := d.Amount.MulRatio(int64(bp), 10000)
		month, from := Month(d, now, loc)
		out.Deals = append(out.Deals, WeightedDeal{ID: d.ID, Title: d.Title, SalesOwner: d.SalesOwner, Stage: d.Stage,
			Month: month, MonthFrom: from, Currency: d.Currency, Amount: d.Amount, ProbabilityBP: bp, Source: source,
			Weighted: w, CommitCategory: d.CommitCategory})
		k := [2]string{month, d.Currency}
		t := totals[k]
		if t == nil {
			t = &MonthTotal{Month: month, Currency: d.Currency, ByCommit: map[string]money.Amount{}}
			totals[k] = t
		}
		t.Deals++
		t.Amount += d.Amount
		t.Weighted += w
		t.ByCommit[d.CommitCategory] += d.Amount
	}
	later := func(a, b string) int { // "" sorts last
		switch {
		case a == b:
			return 0
		case a == "":
			return 1
		case b == "":
			return -1
		case a < b:
			return -1
		}
		return 1
	}
	for _, t := range totals {
		out.Months = append(out.Months, *t)
	}
	slices.SortFunc(out.Months, func(a, b MonthTotal) int {
		if c := later(a.Month, b.Month); c != 0 {
			return c
		}
		return cmp.Compare(a.Currency, b.Currency)
	})
	slices.SortStableFunc(out.Deals, func(a, b WeightedDeal) int {
		if c := later(a.Month, b.Month); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out
}
