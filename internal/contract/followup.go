package contract

import "time"

// The follow-up clock's workflow (issue 14, item 4): one run per tick
// reminds the sales owners of deals their purchase timeframe says are due a
// follow-up (activities.FollowUps.RemindFollowUps).

// FollowUpWorkflowID is the ID of the run for one tick (SyncBucket's
// format); a run asked for by hand uses "manual-" and the request time.
func FollowUpWorkflowID(bucket string) string { return "follow-up-reminders/" + bucket }

// FollowUpInput starts a run: At is the moment the clock is read as of.
type FollowUpInput struct {
	At          time.Time
	RequestedBy string
}
