-- The audit trail is append-only for the application role: it records and reads events, and can neither change nor
-- remove one (row-level security only kept it to its own tenant's rows). Nothing in the runtime deletes audit
-- events; a tenant's whole trail goes only with its partition, on the operator's connection (`steward tenant
-- delete`). A future retention purge of old events must run as a role of its own, never as steward_app.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM steward_app;
