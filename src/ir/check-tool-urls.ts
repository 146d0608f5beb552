// Egress checks a tool URL's text allows before any run: http(s) only, and no host that spells an IP address to
// slip past a filter or names one no tenant may reach. Addresses a tenant may allow (loopback, private) are left
// to the run-time policy, which judges the resolved address. Workflow-safe.
import { findUrlLiteralProblem } from '../egress/url-literal';
import type { PathIssue } from './issues';
import type { Definition } from './schema';

export function checkToolUrls(definition: Definition): PathIssue[] {
  return Object.entries(definition.nodes).flatMap(([id, node]) => {
    if (node.type !== 'tool' || node.request === undefined) return [];
    const problem = findUrlLiteralProblem(node.request.url);
    return problem === undefined ? [] : [{ segments: ['nodes', id, 'request', 'url'], message: problem }];
  });
}
