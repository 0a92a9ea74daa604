package database

// ExposureSQL is the credit exposure statement, for the bench's EXPLAIN.
const ExposureSQL = exposureSQL

// DunningQueueSQL is the dunning queue's page, for the bench's EXPLAIN.
func DunningQueueSQL(v Viewer, f ReceivableFilter) string { return dunningQueueSQL(v, f) }
