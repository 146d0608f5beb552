// Turns zod issues into IR issues that name the field and say what is wrong in words an author understands.
// Workflow-safe.
import type { z } from 'zod';
import type { PathIssue, PathSegment } from './issues';

function toSegments(path: readonly PropertyKey[]): PathSegment[] {
  return path.map((segment) => (typeof segment === 'number' ? segment : String(segment)));
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_key') return issue.issues[0]?.message ?? 'invalid key';
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) {
    return `missing required field (expected ${issue.expected})`;
  }
  return issue.message;
}

/** One issue per problem; an object with unknown fields gives one issue per unknown field, at that field. */
export function fromSchemaIssues(issues: readonly z.core.$ZodIssue[]): PathIssue[] {
  return issues.flatMap((issue): PathIssue[] => {
    const segments = toSegments(issue.path);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ segments: [...segments, key], message: `unknown field '${key}'` }));
    }
    return [{ segments, message: describe(issue) }];
  });
}
