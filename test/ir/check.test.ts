import { validateDefinition } from '../../src/ir/validate';
import { createRawDefinition } from '../support/definitions';

function listIssues(raw: unknown): string[] {
  const result = validateDefinition(raw);
  return result.ok ? [] : result.issues.map((issue) => `${issue.path}: ${issue.message}`);
}

const end = { type: 'end' };

describe('targets and reachability', () => {
  it('accepts a linear flow', () => {
    expect(listIssues(createRawDefinition({ a: { type: 'set', values: { x: '1' }, next: 'b' }, b: end }))).toEqual([]);
  });

  it('reports unknown start, next, on_error, default, branch and on_reject targets', () => {
    const issues = listIssues(
      createRawDefinition(
        {
          a: { type: 'set', values: { x: '1' }, next: 'ghost1', on_error: 'ghost2' },
          route: { type: 'condition', branches: [{ when: 'true', next: 'ghost3' }], default: 'ghost4' },
          ask: { type: 'approval', approvers: { users: ['u'] }, on_reject: 'ghost5', next: 'ghost6' },
          fan: { type: 'parallel', branches: [{ start: 'ghost7' }] },
        },
        { start: 'nowhere' },
      ),
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        "start: unknown node 'nowhere'",
        "nodes.a.next: unknown node 'ghost1'",
        "nodes.a.on_error: unknown node 'ghost2'",
        "nodes.route.branches[0].next: unknown node 'ghost3'",
        "nodes.route.default: unknown node 'ghost4'",
        "nodes.ask.on_reject: unknown node 'ghost5'",
        "nodes.ask.next: unknown node 'ghost6'",
        "nodes.fan.branches[0].start: unknown node 'ghost7'",
      ]),
    );
  });

  it('reports nodes that no path from start reaches, but counts every kind of edge', () => {
    expect(listIssues(createRawDefinition({ a: end, lonely: end }))).toEqual(["nodes.lonely: node 'lonely' cannot be reached from start 'a'"]);
    const reachedEveryWay = createRawDefinition({
      a: { type: 'tool', tool: 'lookup', on_error: 'oops', next: 'route' },
      route: { type: 'condition', branches: [{ when: 'true', next: 'fan' }], default: 'done' },
      fan: { type: 'parallel', branches: [{ start: 'inner' }], next: 'ask' },
      inner: { type: 'wait', duration: '1s' },
      ask: { type: 'approval', approvers: { groups: ['g'] }, on_reject: 'oops', next: 'done' },
      oops: { type: 'fail' },
      done: end,
    });
    expect(listIssues(reachedEveryWay)).toEqual([]);
  });
});

describe('loops', () => {
  const loop = {
    a: { type: 'set', values: { n: 'has(vars.n) ? vars.n + 1 : 1' }, next: 'check' },
    check: { type: 'condition', branches: [{ when: 'vars.n < 3', next: 'a' }], default: 'done' },
    done: end,
  };

  it('refuses a loop when no limit bounds it', () => {
    expect(listIssues(createRawDefinition(loop))).toEqual([
      "nodes.a: nodes 'a', 'check' form a loop; bound it with limits.max_steps or limits.max_iterations",
    ]);
  });

  it('accepts the loop under max_steps or max_iterations', () => {
    expect(listIssues(createRawDefinition(loop, { limits: { max_steps: 20 } }))).toEqual([]);
    expect(listIssues(createRawDefinition(loop, { limits: { max_iterations: 5 } }))).toEqual([]);
  });

  it('refuses a loop with no way out, even when bounded', () => {
    const trap = { a: { type: 'set', values: { x: '1' }, next: 'b' }, b: { type: 'wait', duration: '1s', next: 'a', on_error: 'c' }, c: end };
    expect(listIssues(createRawDefinition(trap, { limits: { max_steps: 10 } }))).toEqual([
      "nodes.a: nodes 'a', 'b' form a loop that never ends: no node in it leads out",
    ]);
  });

  it('catches a node that loops to itself', () => {
    expect(listIssues(createRawDefinition({ a: { type: 'wait', duration: '1s', next: 'a' } }))).toEqual(
      expect.arrayContaining([expect.stringContaining("node 'a' loops to itself")]),
    );
  });
});

describe('expressions and templates', () => {
  it('reports every expression and template that does not parse, at its field', () => {
    const issues = listIssues(
      createRawDefinition({
        s: { type: 'set', values: { x: 'input.a +', y: { nested: ['{{ input.b ++ }}'] } }, next: 'c' },
        c: { type: 'condition', branches: [{ when: 'input.a >', next: 'w' }], default: 'w' },
        w: { type: 'wait', until: 'timestamp(', next: 't' },
        t: { type: 'tool', tool: 'http', request: { url: 'https://x/{{ input.id', headers: { h: '{{ }}' } }, next: 'e' },
        e: { type: 'end', output: "{'a': }" },
        f: { type: 'fail', error: 'input.x +' },
      }),
    );
    for (const path of [
      'nodes.s.values.x: expression does not parse',
      'nodes.s.values.y.nested[0]: template {{ input.b ++ }} does not parse',
      'nodes.c.branches[0].when: expression does not parse',
      'nodes.w.until: expression does not parse',
      'nodes.t.request.url: a {{ at offset',
      'nodes.t.request.headers.h: the {{ }} at offset',
      'nodes.e.output: expression does not parse',
      'nodes.f.error: expression does not parse',
    ]) {
      expect(issues).toEqual(expect.arrayContaining([expect.stringContaining(path)]));
    }
  });

  it('renders approval messages and llm prompts as templates, but leaves JSON Schemas alone', () => {
    const raw = createRawDefinition({
      ask: { type: 'approval', approvers: { users: ['u'] }, message: 'Pay {{ input.amount }}?', next: 'think' },
      think: { type: 'llm', provider: 'openai', model: 'm', prompt: 'Hi {{ input. }}', output_schema: { description: '{{ not a template' }, next: 'done' },
      done: end,
    });
    expect(listIssues(raw)).toEqual([expect.stringMatching(/^nodes\.think\.prompt: template \{\{ input\. \}\} does not parse/)]);
  });
});

describe('secrets', () => {
  const secrets = { token: 'env:TOKEN', openai: 'vault:secret/data/llm#key' };

  it('allows secrets in tool request url, headers and body, llm api_key and oauth.client_secret', () => {
    const raw = createRawDefinition(
      {
        call: {
          type: 'tool',
          tool: 'http',
          request: { method: 'POST', url: 'https://x/{{ secrets.token }}', headers: { Authorization: 'Bearer {{ secrets.token }}' }, body: { k: '{{ secrets.token }}' } },
          next: 'think',
        },
        think: { type: 'llm', provider: 'openai', model: 'm', api_key: '{{ secrets.openai }}', prompt: 'hi', next: 'done' },
        done: end,
      },
      { secrets, oauth: { token_endpoint: 'http://127.0.0.1:4444/token', client_id: 'c', client_secret: '{{ secrets.token }}' } },
    );
    expect(listIssues(raw)).toEqual([]);
  });

  it('refuses secrets anywhere else: set, conditions, end output, prompts, tool input', () => {
    const raw = createRawDefinition(
      {
        s: { type: 'set', values: { k: 'secrets.token' }, next: 'c' },
        c: { type: 'condition', branches: [{ when: "secrets.token == 'x'", next: 'l' }], default: 'l' },
        l: { type: 'llm', provider: 'openai', model: 'm', prompt: 'key is {{ secrets.openai }}', next: 't' },
        t: { type: 'tool', tool: 'lookup', input: { q: '{{ secrets.token }}' }, next: 'e' },
        e: { type: 'end', output: 'secrets' },
      },
      { secrets },
    );
    const issues = listIssues(raw);
    for (const path of ['nodes.s.values.k', 'nodes.c.branches[0].when', 'nodes.l.prompt', 'nodes.t.input.q', 'nodes.e.output']) {
      expect(issues).toContain(`${path}: secrets.* may only be used in fields rendered inside activities (tool request.url, request.headers and request.body, llm api_key, a2a token, client_certificate, client_key and server_ca, oauth.client_secret)`);
    }
  });

  it('refuses undeclared secret names and secrets read by a computed name', () => {
    const raw = createRawDefinition(
      { t: { type: 'tool', tool: 'http', request: { url: 'https://x/{{ secrets.nope }}', headers: { a: '{{ secrets[input.k] }}' } } } },
      { secrets },
    );
    expect(listIssues(raw)).toEqual([
      "nodes.t.request.url: secret 'nope' is not declared under secrets",
      'nodes.t.request.headers.a: read secrets by a fixed name: secrets.<name>',
    ]);
  });

  it('refuses a key written literally into api_key or client_secret, without echoing it', () => {
    const raw = createRawDefinition(
      { think: { type: 'llm', provider: 'openai', model: 'm', api_key: 'sk-live-123', prompt: 'hi' } },
      { oauth: { token_endpoint: 'http://127.0.0.1:4444/token', client_id: 'c', client_secret: 'hunter2' } },
    );
    const issues = listIssues(raw);
    expect(issues).toEqual([
      'oauth.client_secret: must reference a declared secret, e.g. {{ secrets.openai }}; never write a key into a definition',
      'nodes.think.api_key: must reference a declared secret, e.g. {{ secrets.openai }}; never write a key into a definition',
    ]);
    expect(issues.join('\n')).not.toMatch(/sk-live-123|hunter2/);
  });

  it('reports a malformed secret reference at its name', () => {
    expect(listIssues(createRawDefinition({ e: end }, { secrets: { bad: 'vault:nope' } }))).toEqual([
      expect.stringMatching(/^secrets\.bad: /),
    ]);
  });
});

describe('parallel branches', () => {
  it('accepts branches that write keys of their own', () => {
    const raw = createRawDefinition({
      fan: { type: 'parallel', branches: [{ start: 'a' }, { start: 'b' }], next: 'done' },
      a: { type: 'set', values: { left: '1' } },
      b: { type: 'set', values: { right: '2' } },
      done: end,
    });
    expect(listIssues(raw)).toEqual([]);
  });

  it('refuses two branches writing one vars key, even deep inside a branch', () => {
    const raw = createRawDefinition({
      fan: { type: 'parallel', branches: [{ start: 'a' }, { start: 'b1' }], next: 'done' },
      a: { type: 'set', values: { total: '1' } },
      b1: { type: 'wait', duration: '1s', next: 'b2' },
      b2: { type: 'set', values: { total: '2' } },
      done: end,
    });
    expect(listIssues(raw)).toEqual([
      "nodes.fan.branches[1].start: branches[0] (node 'a') and branches[1] (node 'b2') both write vars.total; give each branch keys of its own",
    ]);
  });
});

describe('irreversible tools', () => {
  const pay = { type: 'tool', tool: 'http', request: { method: 'POST', url: 'https://pay' }, irreversible: true, next: 'done' };

  it('accepts an irreversible tool behind an approval on every path', () => {
    const raw = createRawDefinition({
      route: { type: 'condition', branches: [{ when: 'input.amount > 10', next: 'ask' }], default: 'ask2' },
      ask: { type: 'approval', approvers: { users: ['u'] }, next: 'pay', on_reject: 'done' },
      ask2: { type: 'approval', approvers: { users: ['v'] }, next: 'pay' },
      pay,
      done: end,
    });
    expect(listIssues(raw)).toEqual([]);
  });

  it('refuses an irreversible tool that one path reaches without approval', () => {
    const raw = createRawDefinition({
      route: { type: 'condition', branches: [{ when: 'input.amount > 10', next: 'ask' }], default: 'pay' },
      ask: { type: 'approval', approvers: { users: ['u'] }, next: 'pay' },
      pay,
      done: end,
    });
    expect(listIssues(raw)).toEqual([
      "nodes.pay.irreversible: irreversible tool 'pay' can run without an approval (path route → pay); add an approval node before it, or set approval: waived with a reason",
    ]);
  });

  it('does not count the rejection path or an approval that approves on timeout', () => {
    const rejected = createRawDefinition({
      ask: { type: 'approval', approvers: { users: ['u'] }, next: 'done', on_reject: 'pay' },
      pay,
      done: end,
    });
    expect(listIssues(rejected)).toEqual([expect.stringContaining("irreversible tool 'pay' can run without an approval (path ask → pay)")]);
    const lazy = createRawDefinition({
      ask: { type: 'approval', approvers: { users: ['u'] }, on_timeout: 'approve', next: 'pay' },
      pay,
      done: end,
    });
    expect(listIssues(lazy)).toEqual([expect.stringContaining("approval 'ask' approves on timeout, so it does not count")]);
  });

  it('accepts a waived approval with a reason, and refuses one without', () => {
    const waived = createRawDefinition({ pay: { ...pay, approval: 'waived', reason: 'refunds under $5 are policy FP-3' }, done: end });
    expect(listIssues(waived)).toEqual([]);
    const noReason = createRawDefinition({ pay: { ...pay, approval: 'waived', reason: '  ' }, done: end });
    expect(listIssues(noReason)).toEqual(['nodes.pay.reason: approval: waived needs a non-empty reason']);
  });
});

describe('schema rules', () => {
  it('refuses unknown fields, next on end nodes, and wait nodes with no or two kinds', () => {
    expect(listIssues(createRawDefinition({ e: { type: 'end', next: 'e', colour: 'red' } }))).toEqual([
      "nodes.e.next: unknown field 'next'",
      "nodes.e.colour: unknown field 'colour'",
    ]);
    expect(listIssues(createRawDefinition({ w: { type: 'wait' } }))).toEqual(['nodes.w.duration: a wait needs exactly one of duration, until or signal']);
    expect(listIssues(createRawDefinition({ w: { type: 'wait', duration: '1s', signal: 's' } }))).toEqual([
      'nodes.w.duration: a wait needs exactly one of duration, until or signal',
    ]);
  });

  it('checks approvals: approvers, N of M and escalation', () => {
    expect(listIssues(createRawDefinition({ a: { type: 'approval', approvers: {}, on_timeout: 'escalate', required: 2 } }))).toEqual([
      'nodes.a.approvers: name at least one approver user or group',
      'nodes.a.required: required is larger than the number of approvers',
      'nodes.a.escalate_to: on_timeout: escalate needs escalate_to',
    ]);
  });

  it('refuses an http tool without a request and a registered tool with one', () => {
    expect(listIssues(createRawDefinition({ a: { type: 'tool', tool: 'http' } }))).toEqual(['nodes.a.request: an http tool needs a request']);
    expect(listIssues(createRawDefinition({ a: { type: 'tool', tool: 'crm', request: { url: 'x' } } }))).toEqual([
      'nodes.a.request: request is only for the http tool; use input',
    ]);
  });

  it('names missing required fields', () => {
    expect(listIssues({ version: 1, nodes: { a: { type: 'llm', provider: 'openai', model: 'm' } } })).toEqual([
      'id: missing required field (expected string)',
      'start: missing required field (expected string)',
      'nodes.a.prompt: missing required field (expected string)',
    ]);
  });

  it('never throws on values that are not definitions', () => {
    for (const value of [null, undefined, 42, 'text', [], { nodes: [] }, { nodes: { a: null } }]) {
      const result = validateDefinition(value);
      expect(result.ok).toBe(false);
    }
  });
});
