// Delegation checks: a tool step that asks for OAuth scopes needs the definition's `oauth` client, which says
// where to exchange the user's token and how the agent authenticates. Workflow-safe.
import type { PathIssue } from './issues';
import type { Definition } from './schema';

export function checkOAuthClient(definition: Definition): PathIssue[] {
  if (definition.oauth !== undefined) return [];
  return Object.entries(definition.nodes)
    .filter(([, node]) => node.type === 'tool' && node.oauth_scopes !== undefined)
    .map(([id]) => ({
      segments: ['nodes', id, 'oauth_scopes'],
      message: `tool '${id}' asks for OAuth scopes, but the definition has no oauth client (token_endpoint, client_id, client_secret)`,
    }));
}
