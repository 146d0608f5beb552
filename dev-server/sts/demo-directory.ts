// The local STS's demo directory: who the users are, which agents may exchange tokens, and what each may hold.
// Development data only; nothing here is a credential of any real system.

export const DEFAULT_TENANT = 'demo';
/** The audience of user tokens: Steward itself (the CLI, the API, the worker verifying `--user-token`). */
export const STEWARD_AUDIENCE = 'steward';
/** Where an exchanged token is meant to be used when the agent names no audience or resource. */
export const DEFAULT_EXCHANGE_AUDIENCE = 'expenses-api';

export interface DemoUser {
  scopes: readonly string[];
  groups: readonly string[];
}

export const DEMO_USERS: Readonly<Record<string, DemoUser>> = {
  alice: { scopes: ['expenses:read', 'expenses:write'], groups: ['employees'] },
  bob: { scopes: ['expenses:read'], groups: ['employees'] },
  carol: { scopes: ['expenses:read'], groups: ['employees', 'finance-managers'] },
};

export const SUPPORTED_SCOPES = ['openid', 'expenses:read', 'expenses:write', 'approvals:decide', 'pii:read', 'pii:write'] as const;

/** The client a user token says the user signed in with. */
export const USER_CLIENT_ID = 'steward-cli';
/** An agent that authenticates with a client secret (client_secret_basic). */
export const SECRET_AGENT_ID = 'expense-agent';
export const SECRET_AGENT_SECRET = 'expense-agent-dev-secret';
/** An agent that authenticates with a signed assertion (private_key_jwt, RFC 7523). */
export const KEY_AGENT_ID = 'report-agent';
/** A resource server that introspects the tokens it receives. */
export const RESOURCE_SERVER_ID = 'expenses-api';
export const RESOURCE_SERVER_SECRET = 'expenses-api-dev-secret';
