package contract

import "time"

// The value classes' nightly run: one run per tick computes every customer's
// class and proposes the changes for review (activities.Classes.Classify).

// ClassifyWorkflowID is the ID of the run for one tick (SyncBucket's format),
// so replicas ticking for the same moment start it once; a run asked for by
// hand uses "manual-" and the request time.
func ClassifyWorkflowID(bucket string) string { return "classify/" + bucket }

// ClassifyInput starts a run: At is the moment the classes are computed as of.
type ClassifyInput struct {
	At          time.Time
	RequestedBy string
}
