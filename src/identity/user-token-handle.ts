// What a run holds of its user: who they are, and the handle under which their sealed token is kept — never the
// token itself. Workflow-safe.
export interface UserTokenHandle {
  subject: string;
  handle: string;
}
