// Bundles a copy of workflows/ (from the working tree or a git revision, optionally with deliberate edits) exactly
// as production bundles the real folder: to prove replay catches a non-deterministic change, and to record
// histories with the interpreter as committed. workflows/ itself is never touched.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { findProjectRoot } from '../../src/config/project-root';

export interface SourceEdit {
  /** A file of workflows/, e.g. `agent-workflow.ts`. */
  file: string;
  from: string;
  to: string;
}

export async function bundleWorkflowsCopy(options: { revision?: string; edits?: SourceEdit[] } = {}): Promise<WorkflowBundleWithSourceMap> {
  const root = findProjectRoot();
  const dir = mkdtempSync(join(tmpdir(), 'steward-workflows-copy-'));
  try {
    if (options.revision === undefined) cpSync(join(root, 'workflows'), join(dir, 'workflows'), { recursive: true });
    else checkOutWorkflows(root, options.revision, dir);
    // The copy's relative imports (../src/ir, ../activities) and packages resolve to the real tree.
    for (const name of ['src', 'activities', 'node_modules']) symlinkSync(join(root, name), join(dir, name));
    for (const edit of options.edits ?? []) applyEdit(join(dir, 'workflows', edit.file), edit);
    return await bundleWorkflowCode({ workflowsPath: join(dir, 'workflows'), logger: SILENT });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function checkOutWorkflows(root: string, revision: string, dir: string): void {
  const git = (...args: string[]) => execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  for (const file of git('ls-tree', '-r', '--name-only', revision, '--', 'workflows').split('\n').filter(Boolean)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), git('show', `${revision}:${file}`));
  }
}

/** An edit that no longer matches the source must fail loudly, not bundle the unchanged code. */
function applyEdit(path: string, edit: SourceEdit): void {
  const source = readFileSync(path, 'utf8');
  const at = source.indexOf(edit.from);
  if (at < 0 || source.indexOf(edit.from, at + 1) >= 0) throw new Error(`workflows/${edit.file}: the text to replace must occur exactly once: ${edit.from}`);
  writeFileSync(path, source.replace(edit.from, edit.to));
}

const noop = () => undefined;
const SILENT = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };
