package database

// ExposureSQL is the credit exposure statement, for the bench's EXPLAIN.
const ExposureSQL = exposureSQL

// The collection reports' unsummarised statements, for the test that
// compares every viewer's report with them.
const (
	ReceivableLiveSQL = receivableLive
	AgeingColumnsSQL  = ageingColumns
	ForecastLiveSQL   = forecastLive
)

// ViewerArgs are v's parameters to the deal predicates ($1..$5), and
// ViewerCustomerArgs to the customer predicates.
func ViewerArgs(v Viewer) []any         { return v.args() }
func ViewerCustomerArgs(v Viewer) []any { return v.customerArgs() }

// SetReachFew sets how many customers or deals a viewer reaches for the
// reports to read them by index, until the returned func restores it.
func SetReachFew(n int) (restore func()) {
	was := reachFew
	reachFew = n
	return func() { reachFew = was }
}
