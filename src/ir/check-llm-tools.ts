// LLM tool checks: every tool an llm node offers its model has a name providers accept, is offered once, and, when
// it names a node, names a tool node; the built-in http tool is offered only through a tool node, which holds its
// request. Tool nodes offered to a model count as reached through that llm node. Workflow-safe.
import type { PathIssue } from './issues';
import type { Definition, LlmTool } from './schema';

/** What OpenAI and Anthropic accept as a function/tool name. */
const PROVIDER_TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** The built-in tool: its request lives on a tool node, so a model cannot be offered it by name alone. */
const HTTP_TOOL = 'http';

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
      } else if (named === undefined && name === HTTP_TOOL) {
        issues.push({ segments, message: "the built-in http tool needs a request: offer a tool node with tool: http and a request, by the node's id" });
      }
    });
  }
  return issues;
}
