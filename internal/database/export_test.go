package database

// ExposureSQL is the credit exposure statement, for the bench's EXPLAIN.
const ExposureSQL = exposureSQL

// ClassifySQL is the value classes' computation, for the bench's EXPLAIN.
const ClassifySQL = classifySQL
