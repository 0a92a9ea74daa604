package database

// ExposureSQL is the credit exposure statement, for the bench's EXPLAIN.
const ExposureSQL = exposureSQL
