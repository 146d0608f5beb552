// LLM tool checks: every tool an llm node offers its model has a name providers accept, is offered once, and, when
// it names a node, names a tool node. Tool nodes offered to a model count as reached through that llm node.
// Workflow-safe.
import type { PathIssue } from './issues';
import type { Definition, LlmTool } from './schema';

/** What OpenAI and Anthropic accept as a function/tool name. */
const PROVIDER_TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function llmToolName(tool: LlmTool): string {
  return typeof tool === 'string' ? tool : tool.name;
}

/** The tool nodes of the definition that the llm node `id` offers its model (registered tools are not nodes). */
export function offeredToolNodeIds(definition: Definition, id: string): string[] {
  const node = definition.nodes[id];
  if (node?.type !== 'llm') return [];
  return (node.tools ?? []).map(llmToolName).filter((name) => definition.nodes[name]?.type === 'tool');
}

export function checkLlmTools(definition: Definition): PathIssue[] {
  const issues: PathIssue[] = [];
  for (const [id, node] of Object.entries(definition.nodes)) {
    if (node.type !== 'llm') continue;
    const seen = new Set<string>();
    (node.tools ?? []).forEach((tool, index) => {
      const name = llmToolName(tool);
      const segments = typeof tool === 'string' ? ['nodes', id, 'tools', index] : ['nodes', id, 'tools', index, 'name'];
      if (!PROVIDER_TOOL_NAME.test(name)) {
        issues.push({ segments, message: 'a tool name models can call: letters, digits, _ and - (at most 64)' });
      } else if (seen.has(name)) {
        issues.push({ segments, message: `tool '${name}' is offered twice` });
      }
      seen.add(name);
      const named = definition.nodes[name];
      if (named !== undefined && named.type !== 'tool') {
        issues.push({ segments, message: `node '${name}' is a ${named.type} node; a model can only call tool nodes or registered tools` });
      }
    });
  }
  return issues;
}
