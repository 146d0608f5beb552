-- Who started a run, verified: the subject of the user token the run was started with, once the worker has opened
-- that sealed token and found it sealed for this run (or its root). NULL when the run was started without one (a
-- raw `temporal workflow start`, or a client without a user token): no one is known to have started it, so its
-- approvals cannot rule out self-approval and are refused unless the node allows it.
ALTER TABLE runs ADD COLUMN started_by text;
