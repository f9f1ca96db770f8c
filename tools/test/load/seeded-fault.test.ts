// make load's checks can fail: a short scenario passes against healthy stacks and fails against a sidecar whose Caddy
// drops CORS from some responses (tools/test/fixtures/cors-dropping-proxy). Counts and verdicts only, no timings.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Mode } from '../../bench/lib/table.ts';
import type { Standin } from '../../src/auth0-standin/standin.ts';
import { type Driver, startDriver } from '../../src/load/driver.ts';
import { parseLoadEnv } from '../../src/load/options.ts';
import { newTenant, type PlanResult, runPlan, stackEnv, startLoadStack, startLoadStandin } from '../../src/load/run.ts';
import { summarizeRounds } from '../../src/load/tally.ts';
import { verdictLines } from '../../src/load/verdict.ts';
import type { Stack } from '../../testkit/stack.ts';

// A few users, a few seconds: 1 s preflight cache and 8 s tokens, so re-sent preflights and refreshes happen within it.
const O = parseLoadEnv({
  LOAD_USERS: '6',
  LOAD_SECONDS: '4',
  LOAD_ROUNDS: '1',
  LOAD_THINK_MS: '100',
  LOAD_POST_EVERY: '3',
  LOAD_BURSTS: '2',
  LOAD_SHAPES: 'steady,burst',
  LOAD_MAX_AGE: '1',
  LOAD_TOKEN_TTL: '8',
  LOAD_REFRESH_MARGIN: '5',
  LOAD_OUT: '-',
});

describe('the load scenario against real stacks', () => {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'edge-load-test-'));
  let standin: Standin;
  let driver: Driver;
  const stacks: Stack[] = [];
  let healthy: Map<Mode, Stack>;
  let faulty: Stack;
  const lines: string[] = [];
  const log = (line: string) => lines.push(line);

  before(async () => {
    standin = await startLoadStandin(O, newTenant());
    const start = async (mode: Mode, fault: boolean) => {
      const dir = path.join(scratch, fault ? 'faulty' : 'healthy');
      mkdirSync(dir, { recursive: true });
      const stack = await startLoadStack(
        mode,
        standin,
        stackEnv(mode, { ...O, fault: fault ? 'drop-cors' : undefined }, dir, {}),
      );
      stacks.push(stack);
      return stack;
    };
    const [sidecar, direct, broken] = await Promise.all([
      start('sidecar', false),
      start('direct', false),
      start('sidecar', true),
    ]);
    healthy = new Map([
      ['sidecar', sidecar],
      ['direct', direct],
    ]);
    faulty = broken;
    driver = startDriver();
  });
  after(async () => {
    await driver?.close();
    await Promise.all(stacks.map((s) => s.stop()));
    await standin?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  const kindsSent = (plan: PlanResult, mode: Mode) => {
    const r = plan.runs.get(mode)!;
    const s = summarizeRounds([...r.steady, ...r.burst]);
    return {
      preflight: s.byKind.preflight.sent,
      get: s.byKind.get.sent,
      post: s.byKind.post.sent,
      refresh: s.byKind.refresh.sent,
      logins: r.logins.kinds.login.sent,
    };
  };

  test('healthy sidecar and direct: every kind of request sent and checked, none failed or CORS-less', async () => {
    const plan = await runPlan(healthy, driver, O, log);
    const detail = [...verdictLines(plan.verdict), ...lines].join('\n');
    for (const mode of ['sidecar', 'direct'] as const) {
      const sent = kindsSent(plan, mode);
      assert.equal(sent.logins, O.users, detail);
      for (const [kind, n] of Object.entries(sent)) assert.ok(n > 0, `${mode}: no ${kind} sent\n${detail}`);
    }
    // The p95 threshold is a timing: judged by make load, not here.
    const counted = plan.verdict.checks.filter((c) => !c.rule.includes('p95'));
    assert.equal(counted.length, 4);
    assert.deepEqual(
      counted.filter((c) => !c.pass),
      [],
      detail,
    );
  });

  test('a sidecar that drops CORS from about 1 response in 8: the verdict fails, with the count of CORS-less responses', async () => {
    const plan = await runPlan(new Map([['sidecar', faulty]]), driver, O, log);
    const r = plan.runs.get('sidecar')!;
    const detail = [...verdictLines(plan.verdict), ...lines].join('\n');
    assert.equal(plan.verdict.pass, false, detail);
    const cors = plan.verdict.checks.find((c) => c.rule.startsWith('no CORS-less response'))!;
    assert.equal(cors.pass, false, detail);
    const corsless = r.logins.kinds.login.corsless + [...r.steady, ...r.burst].reduce((a, s) => a + s.corsless, 0);
    assert.ok(corsless > 0, detail);
    assert.match(cors.measured, new RegExp(`^${corsless} CORS-less of \\d`), detail);
    assert.ok(verdictLines(plan.verdict).includes(`load: FAIL  sidecar ${cors.rule}: ${cors.measured}`), detail);
    // Each example is one of the fault's: Caddy's request id (its UUID) starts with 0 or 1, and the status was fine.
    assert.ok(r.corsExamples.length > 0, detail);
    for (const e of r.corsExamples)
      assert.match(e, /→ (200|201|204) \(X-Request-ID [01][0-9a-f-]+\): .*no Access-Control-Allow-Origin/, e);
  });
});
