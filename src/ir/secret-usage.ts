// Which secrets a value's `{{ }}` templates read, so an activity resolves only those. Workflow-safe.
import { compileExpression, templateExpressions } from './expressions';

export function secretNamesUsedBy(value: unknown): string[] {
  const names = new Set<string>();
  const walk = (node: unknown): void => {
    if (typeof node === 'string') {
      for (const expression of templateExpressions(node)) for (const name of compileExpression(expression).secretNames) names.add(name);
    } else if (Array.isArray(node)) {
      node.forEach(walk);
    } else if (node !== null && typeof node === 'object') {
      Object.values(node).forEach(walk);
    }
  };
  walk(value);
  return [...names].sort();
}
