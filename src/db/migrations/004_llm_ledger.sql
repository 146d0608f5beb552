-- The LLM ledger: one row per model call, reserved before the call (so caps hold while calls run concurrently)
-- and settled with the tokens and exact cost the provider reported. Costs are integer micro-dollars, so sums per
-- run, per agent and per tenant per day add up exactly. The day is the UTC day the call was reserved.
CREATE TABLE llm_ledger (
  tenant_id          text        NOT NULL,
  id                 bigserial,
  workflow_id        text        NOT NULL,
  run_id             text        NOT NULL,
  agent_id           text        NOT NULL,
  node_id            text        NOT NULL,
  attempt            integer,
  provider           text        NOT NULL CHECK (provider IN ('openai', 'anthropic')),
  model              text        NOT NULL,
  status             text        NOT NULL DEFAULT 'reserved' CHECK (status IN ('reserved', 'completed', 'failed')),
  prompt_tokens      bigint      NOT NULL DEFAULT 0 CHECK (prompt_tokens >= 0),
  completion_tokens  bigint      NOT NULL DEFAULT 0 CHECK (completion_tokens >= 0),
  cost_micro_usd     bigint      NOT NULL DEFAULT 0 CHECK (cost_micro_usd >= 0),
  prompt_hash        text,
  day                date        NOT NULL DEFAULT ((now() AT TIME ZONE 'UTC')::date),
  created_at         timestamptz NOT NULL DEFAULT now(),
  settled_at         timestamptz,
  PRIMARY KEY (tenant_id, id)
) PARTITION BY LIST (tenant_id);

CREATE INDEX llm_ledger_by_run ON llm_ledger (tenant_id, workflow_id);
CREATE INDEX llm_ledger_by_day ON llm_ledger (tenant_id, day, agent_id);

SELECT steward_register_tenant_table('llm_ledger');
GRANT USAGE ON SEQUENCE llm_ledger_id_seq TO steward_app;

-- A tenant's daily LLM budget in micro-dollars (NULL: none), and its own model prices (USD per 1M tokens, by model,
-- over the built-in list), both set by the operator (`steward tenant budget`, `steward tenant price`).
ALTER TABLE tenants ADD COLUMN llm_daily_budget_micro_usd bigint CHECK (llm_daily_budget_micro_usd >= 0);
ALTER TABLE tenants ADD COLUMN llm_prices jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(llm_prices) = 'object');
