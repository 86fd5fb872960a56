-- `newsdedup ingest` ends by telling the reasons its run rejected inputs for
-- (store.run_rejections): read by run, which would otherwise scan every rejection ever kept.
CREATE INDEX rejected_inputs_run_id_idx ON rejected_inputs (run_id);
