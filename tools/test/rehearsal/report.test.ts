// The rehearsal's verdict and HTML report: safe only when everything passed, failures named first with the browser's console.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderReport } from '../../src/rehearsal/report.ts';
import { grid, type Rehearsal, type StepResult, summariseLogins, verdict } from '../../src/rehearsal/results.ts';

const step = (over: Partial<StepResult>): StepResult => ({
  step: 'log in',
  origin: 'https://app.example',
  mode: 'sidecar',
  outcome: 'pass',
  ms: 10,
  detail: 'ok',
  console: [],
  ...over,
});
const rehearsal = (over: Partial<Rehearsal>): Rehearsal => ({
  startedAt: 't',
  settings: {},
  steps: [step({})],
  logins: [{ mode: 'sidecar', attempts: 2, successes: 2, ms: [5, 7], failures: [] }],
  aborted: [],
  ...over,
});

describe('verdict', () => {
  const cases: [string, Partial<Rehearsal>, boolean][] = [
    ['every step passed, every login succeeded', {}, true],
    ['n/a steps do not count against it', { steps: [step({}), step({ step: 'API hung', outcome: 'n/a' })] }, true],
    ['one failed step', { steps: [step({}), step({ step: 'log out', outcome: 'fail' })] }, false],
    [
      'one failed login',
      { logins: [{ mode: 'sidecar', attempts: 2, successes: 1, ms: [5], failures: ['attempt 2: timeout'] }] },
      false,
    ],
    ['a mode aborted', { aborted: ['direct: the stack did not become ready'] }, false],
    ['nothing ran', { steps: [] }, false],
    ['only n/a steps', { steps: [step({ outcome: 'n/a' })] }, false],
  ];
  for (const [name, over, safe] of cases) test(name, () => assert.equal(verdict(rehearsal(over)).safe, safe));
});

test('grid: one row per origin and step, grouped by origin in first-seen order, one column per mode', () => {
  const g = grid([step({}), step({ origin: 'http://localhost:3001' }), step({ step: 'log out' }), step({ mode: 'direct' })]);
  assert.deepEqual(g.rows, [
    { origin: 'https://app.example', step: 'log in' },
    { origin: 'https://app.example', step: 'log out' },
    { origin: 'http://localhost:3001', step: 'log in' },
  ]);
  assert.deepEqual(g.modes, ['sidecar', 'direct']);
  assert.equal(g.cell('https://app.example', 'log out', 'direct'), undefined);
  assert.equal(g.cell('https://app.example', 'log in', 'direct')?.mode, 'direct');
});

test('summariseLogins: successes, median and nearest-rank p95 of the successful ones', () => {
  const ms = Array.from({ length: 20 }, (_, i) => i + 1);
  assert.deepEqual(summariseLogins({ mode: 'direct', attempts: 21, successes: 20, ms, failures: ['x'] }), {
    mode: 'direct',
    attempts: 21,
    successes: 20,
    medianMs: 10.5,
    p95Ms: 19,
  });
});

describe('renderReport', () => {
  test('a safe run says so first', () => {
    const html = renderReport(rehearsal({}));
    assert.match(html, /<div class="verdict safe">SAFE TO PRESENT/);
    assert.match(html, /2\/2/);
  });
  test('a failure is named in the banner with its detail and the console, and listed first', () => {
    const failed = step({
      step: 'log in',
      origin: 'https://app.example',
      outcome: 'fail',
      detail: 'Chromium holds no edge_refresh cookie',
      console: ["[error] Access to fetch at 'x' has been blocked by CORS policy"],
      screenshot: '001.png',
    });
    const html = renderReport(rehearsal({ steps: [step({ step: 'open the page' }), failed] }));
    assert.match(html, /NOT SAFE TO PRESENT: 1 step\(s\) failed/);
    assert.match(
      html,
      /<li><a href="#[^"]+">log in<\/a> \(sidecar, https:\/\/app.example\): Chromium holds no edge_refresh cookie<\/li>/,
    );
    assert.ok(html.indexOf('class="step fail"') < html.indexOf('class="step pass"'), 'the failed step is not listed first');
    assert.match(html, /has been blocked by CORS policy/);
    assert.match(html, /<img src="001.png"/);
  });
  test('escapes what the browser and the steps wrote', () => {
    const html = renderReport(
      rehearsal({ steps: [step({ outcome: 'fail', detail: '<script>alert(1)</script>', console: ['<img onerror=x>'] })] }),
    );
    assert.ok(!html.includes('<script>alert(1)') && !html.includes('<img onerror'));
    assert.match(html, /&lt;script&gt;/);
  });
});
