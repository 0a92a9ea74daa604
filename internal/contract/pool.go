package contract

import "time"

// The pool clock's workflow: one run per tick returns neglected customers to
// the pool (公海) and warns their owners first (activities.Ownership.RecyclePool).

// PoolRecycleWorkflowID is the ID of the run for one tick (SyncBucket's
// format), so replicas ticking for the same moment start it once; a run asked
// for by hand uses "manual-" and the request time.
func PoolRecycleWorkflowID(bucket string) string { return "pool-recycle/" + bucket }

// PoolRecycleInput starts a run: At is the moment the clock is read as of.
type PoolRecycleInput struct {
	At          time.Time
	RequestedBy string
}
