-- +goose Up
-- The dunning tick (issue 13's speed target). It places only the instalments
-- that may move today (collectionDecideOn in collection_dunning.go), and
-- writes their step and next action in place: with half of each page free,
-- a tick that moves every instalment rewrites each row on its own page (a
-- HOT update: no index touched, none of the columns it writes is indexed).
-- Pages written from now on; existing ones as they are rewritten.
ALTER TABLE collection_instalments SET (fillfactor = 50);

-- The ladders as of the tick's last pass over every open instalment: a
-- ladder saved since (a step moved) places everyone again.
CREATE TABLE dunning_tick_state (
    id         boolean PRIMARY KEY DEFAULT true CHECK (id),
    ladders    text NOT NULL -- md5 of every ladder, as the tick read them
);

-- The ladders are a few rows: said so, else the planner guesses hundreds.
ANALYZE dunning_ladders;

-- +goose Down
DROP TABLE dunning_tick_state;
ALTER TABLE collection_instalments SET (fillfactor = 80);
