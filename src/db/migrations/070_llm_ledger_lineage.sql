-- A sub-workflow's model calls count against its enclosing runs' caps: each ledger row names the root run of its
-- run tree and the lineage from that root down to the run that made the call, so a run's caps sum every row whose
-- lineage holds the run (found through the root). Rows from before were all made by the run they name.
ALTER TABLE llm_ledger ADD COLUMN root_workflow_id text;
ALTER TABLE llm_ledger ADD COLUMN lineage text[];
-- Row-level security would hide every row from this backfill: it is lifted for the statement only.
ALTER TABLE llm_ledger NO FORCE ROW LEVEL SECURITY;
UPDATE llm_ledger SET root_workflow_id = workflow_id, lineage = ARRAY[workflow_id];
ALTER TABLE llm_ledger FORCE ROW LEVEL SECURITY;
ALTER TABLE llm_ledger ALTER COLUMN root_workflow_id SET NOT NULL;
ALTER TABLE llm_ledger ALTER COLUMN lineage SET NOT NULL;
ALTER TABLE llm_ledger ADD CONSTRAINT llm_ledger_lineage_check CHECK (lineage[1] = root_workflow_id AND lineage[array_length(lineage, 1)] = workflow_id);
CREATE INDEX llm_ledger_by_root ON llm_ledger (tenant_id, root_workflow_id);
