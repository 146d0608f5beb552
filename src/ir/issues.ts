// Validation issues: a field path like `nodes.route.branches[0].when`, a message, and a source position when known.
// Workflow-safe.

export interface IrIssue {
  path: string;
  message: string;
  file?: string;
  line?: number;
  column?: number;
}

export type PathSegment = string | number;

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Joins path segments the way authors read them: `nodes.route.branches[0].when`, quoting unusual keys. */
export function formatPath(segments: readonly PathSegment[]): string {
  let path = '';
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) path += path === '' ? segment : `.${segment}`;
    else path += `[${JSON.stringify(segment)}]`;
  }
  return path;
}

/** `file:line:col path: message`, leaving out whatever is unknown. */
export function formatIssue(issue: IrIssue): string {
  const position = [issue.file, issue.line, issue.line === undefined ? undefined : issue.column]
    .filter((part) => part !== undefined)
    .join(':');
  const where = [position, issue.path].filter((part) => part !== '').join(' ');
  return where === '' ? issue.message : `${where}: ${issue.message}`;
}

/** An issue while its path is still segments, so a parser can point at the source position. */
export interface PathIssue {
  segments: PathSegment[];
  message: string;
}

export function toIrIssue(issue: PathIssue): IrIssue {
  return { path: formatPath(issue.segments), message: issue.message };
}
