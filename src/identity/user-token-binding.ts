// Which run may use a sealed user token: the run it was sealed for, or a child run in that run's tree (children of
// an IR run act for the same user). Pure, so the tool step and the renewal check apply one rule.

/** Where a token is about to be used. `rootWorkflowId` is Temporal's root of a child run, never taken from run input. */
export interface RunPlace {
  workflowId: string;
  rootWorkflowId?: string | undefined;
}

export function isSealedForRun(sealedFor: string, run: RunPlace): boolean {
  if (sealedFor === run.workflowId) return true;
  const root = run.rootWorkflowId;
  if (root === undefined || root === run.workflowId) return false;
  // Child ids are `<parent>/<node>/<visit>`: a child's ancestors are the prefixes of its id inside its root's tree.
  return sealedFor === root || (sealedFor.startsWith(`${root}/`) && run.workflowId.startsWith(`${sealedFor}/`));
}
