// The one way Steward says what a zod schema refused: `where: why` per issue, the path in zod's own notation
// (`egress.allow[3]`, `retention.audit_events`), so a message names the field and the reason. Pure.
import { z } from 'zod';

type Issue = z.core.$ZodIssue;

export interface IssueFormat {
  /** Where the parsed value sits (`egress`, `pii.phone_regions`); the issue's path follows it. */
  prefix?: string;
  /** Names the value itself when an issue has no path and no prefix (`body`). */
  root?: string;
  /** Names only the first `max` issues. */
  max?: number;
}

/** Where one issue is: the prefix and zod's dot path (`pii.phone_regions[1]`), or `root` for the value itself. */
export function zodIssuePath(issue: Issue, format: IssueFormat = {}): string {
  const path = z.core.toDotPath(issue.path);
  if (format.prefix === undefined) return path || (format.root ?? '(root)');
  if (path === '') return format.prefix;
  return path.startsWith('[') ? `${format.prefix}${path}` : `${format.prefix}.${path}`;
}

/** Every issue (or the first `max`) as `where: why`, joined with '; '. */
export function formatZodIssues(error: z.ZodError | readonly Issue[], format: IssueFormat = {}): string {
  const issues = error instanceof z.ZodError ? error.issues : error;
  return issues
    .slice(0, format.max ?? issues.length)
    .map((issue) => `${zodIssuePath(issue, format)}: ${issue.message}`)
    .join('; ');
}
