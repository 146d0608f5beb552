// Which run may open a sealed user token: the one it was sealed for, or a child run in that run's tree.
import { isSealedForRun } from '../../src/identity/user-token-binding';

describe('isSealedForRun', () => {
  const opened: Array<[string, string, { workflowId: string; rootWorkflowId?: string }]> = [
    ['the run the token was sealed for', 'expense-1', { workflowId: 'expense-1' }],
    ['a child of that run (Temporal names it the root)', 'expense-1', { workflowId: 'expense-1/review/1', rootWorkflowId: 'expense-1' }],
    ['a grandchild, for a renewal sealed for its parent', 'expense-1/review/1', { workflowId: 'expense-1/review/1/submit/2', rootWorkflowId: 'expense-1' }],
  ];
  it.each(opened)('opens for %s', (_name, sealedFor, run) => {
    expect(isSealedForRun(sealedFor, run)).toBe(true);
  });

  const refused: Array<[string, string, { workflowId: string; rootWorkflowId?: string }]> = [
    ['another top-level run', 'expense-1', { workflowId: 'expense-2' }],
    ['a top-level run named like a child of the sealed run (its starter chose the id; Temporal names no root)', 'expense-1', { workflowId: 'expense-1/review/1' }],
    ['a child of another run', 'expense-1', { workflowId: 'expense-2/review/1', rootWorkflowId: 'expense-2' }],
    ['a sibling child, for a renewal sealed for the other child', 'expense-1/a/1', { workflowId: 'expense-1/b/1', rootWorkflowId: 'expense-1' }],
    ['a run whose id merely starts with the sealed id', 'expense-1', { workflowId: 'expense-10', rootWorkflowId: 'expense-10' }],
    ['a parent, for a renewal sealed for its child', 'expense-1/review/1', { workflowId: 'expense-1' }],
  ];
  it.each(refused)('refuses %s', (_name, sealedFor, run) => {
    expect(isSealedForRun(sealedFor, run)).toBe(false);
  });
});
