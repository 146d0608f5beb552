-- A call the provider may have worked on without answering (a timeout, a cancellation mid-request, a 5xx) is closed
-- as 'unanswered': unlike 'failed' (the provider never took the request) it keeps its reserved worst-case cost and
-- counts as a call, since the provider may well have billed it. A reserved row carries that estimate as its cost
-- until it is settled with the exact one.
ALTER TABLE llm_ledger DROP CONSTRAINT llm_ledger_status_check;
ALTER TABLE llm_ledger ADD CONSTRAINT llm_ledger_status_check CHECK (status IN ('reserved', 'completed', 'unanswered', 'failed'));
