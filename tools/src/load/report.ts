// The load report as markdown (docs/bench/load.md and the console) and the per-run progress line (pure).
import { fmtMs, fmtRatio, fmtRps, type MachineNote, table } from '../../bench/lib/report.ts';
import { median, ratio } from '../../bench/lib/stats.ts';
import type { Mode } from '../../bench/lib/table.ts';
import { describeKnee, medianKnee } from './knee.ts';
import type { LoadOptions } from './options.ts';
import { PAGE_ITEMS } from './scenario.ts';
import {
  KIND_LABELS,
  type Kind,
  LOOP_KINDS,
  type Percentiles,
  percentiles,
  type RoundsSummary,
  type RunSummary,
  summarizeRounds,
} from './tally.ts';
import type { Check, ModeRuns, Verdict } from './verdict.ts';

const count = (v: number): string => v.toLocaleString('en-US');
const pair = (modes: readonly Mode[], f: (m: Mode) => string): string => modes.map(f).join(' / ');
const triple = (p: Percentiles | undefined): string =>
  p && p.n > 0 ? `${fmtMs(p.p50)} / ${fmtMs(p.p95)} / ${fmtMs(p.p99)}` : '—';

/** One console line per run: `[1/3] steady  25 users sidecar   1,234 req  61.7 req/s  p50 … ms  0 failed  0 CORS-less`. */
export function progressLine(tag: string, mode: Mode, s: RunSummary): string {
  const ready = s.pageReady ? `  page ready p99 ${fmtMs(s.pageReady.p99)} ms` : '';
  return (
    `${tag.padEnd(28)} ${mode.padEnd(7)} ${count(s.requests).padStart(6)} req ${fmtRps(s.rps).padStart(5)} req/s  ` +
    `p50 ${fmtMs(s.all.p50)}  p95 ${fmtMs(s.all.p95)}  p99 ${fmtMs(s.all.p99)} ms${ready}  ${s.failed} failed  ${s.corsless} CORS-less`
  );
}

export interface LoadReportInput {
  generatedAt: string;
  command: string;
  commit: string;
  machine: MachineNote;
  elapsedSec: number;
  options: LoadOptions;
  /** "SQLite, one file per stack" or "DATABASE_URL from the environment (postgresql), shared by both stacks". */
  database: string;
  runs: ReadonlyMap<Mode, ModeRuns>;
  verdict: Verdict;
  notes: readonly string[];
  partial?: string;
}

function verdictTable(
  modes: readonly Mode[],
  checks: readonly Check[],
  words: [pass: string, fail: string],
  head: string,
): string {
  const rules = [...new Set(checks.map((c) => c.rule))];
  const rows = rules.map((rule) => [
    rule,
    ...modes.map((m) => {
      const c = checks.find((x) => x.rule === rule && x.mode === m);
      return c ? `${c.pass ? words[0] : words[1]}: ${c.measured}` : '—';
    }),
  ]);
  return table([head, ...modes], rows);
}

function shapeTable(
  modes: readonly Mode[],
  s: ReadonlyMap<Mode, RoundsSummary>,
  extra: { label: string; of: (r: RoundsSummary) => Percentiles | undefined }[] = [],
): string {
  const both = modes.length === 2;
  const rows: {
    label: string;
    of: (r: RoundsSummary) => (Percentiles & { sent?: number; failed?: number; corsless?: number }) | undefined;
  }[] = [
    { label: '**all requests**', of: (r) => ({ ...r.all, sent: r.requests, failed: r.failed, corsless: r.corsless }) },
    ...LOOP_KINDS.map((k: Kind) => ({ label: KIND_LABELS[k], of: (r: RoundsSummary) => r.byKind[k] })),
    ...extra,
  ];
  return table(
    [
      'request',
      ...modes.map((m) => `${m} p50 / p95 / p99 ms`),
      ...(both ? ['p99 ratio'] : []),
      `requests (${modes.join(' / ')})`,
      'failed',
      'CORS-less',
    ],
    rows
      .filter((row) => modes.some((m) => (row.of(s.get(m)!)?.n ?? 0) > 0 || (row.of(s.get(m)!)?.sent ?? 0) > 0))
      .map((row) => {
        const of = (m: Mode) => row.of(s.get(m)!);
        const num = (m: Mode, k: 'sent' | 'failed' | 'corsless') => {
          const v = of(m)?.[k];
          return v === undefined ? '—' : count(v);
        };
        return [
          row.label,
          ...modes.map((m) => triple(of(m))),
          ...(both ? [fmtRatio(ratio(of('sidecar')?.p99 ?? Number.NaN, of('direct')?.p99 ?? Number.NaN))] : []),
          pair(modes, (m) => num(m, 'sent')),
          pair(modes, (m) => num(m, 'failed')),
          pair(modes, (m) => num(m, 'corsless')),
        ];
      }),
  );
}

function rampTable(modes: readonly Mode[], r: ReadonlyMap<Mode, ModeRuns>, steps: readonly number[]): string {
  const both = modes.length === 2;
  const at = (m: Mode, users: number) => {
    const runs = r
      .get(m)!
      .ramp.filter((x) => x.users === users)
      .map((x) => x.run);
    return runs.length ? summarizeRounds(runs) : undefined;
  };
  const rows = steps
    .filter((u) => modes.some((m) => at(m, u)))
    .map((u) => {
      const s = new Map(modes.map((m) => [m, at(m, u)] as const));
      const cell = (m: Mode, f: (x: RoundsSummary) => string) => {
        const x = s.get(m);
        return x ? f(x) : '—';
      };
      return [
        String(u),
        ...modes.flatMap((m) => [cell(m, (x) => fmtRps(x.rps)), cell(m, (x) => fmtMs(x.all.p99))]),
        ...(both ? [fmtRatio(ratio(s.get('sidecar')?.all.p99 ?? Number.NaN, s.get('direct')?.all.p99 ?? Number.NaN))] : []),
        pair(modes, (m) => cell(m, (x) => count(x.failed))),
        pair(modes, (m) => cell(m, (x) => count(x.corsless))),
        pair(modes, (m) => cell(m, (x) => fmtMs(x.loopLagP99Ms))),
        pair(modes, (m) => cell(m, (x) => String(x.rounds))),
      ];
    });
  return table(
    [
      'users',
      ...modes.flatMap((m) => [`${m} req/s`, `${m} p99 ms`]),
      ...(both ? ['p99 ratio'] : []),
      'failed',
      'CORS-less',
      'client loop lag p99 ms',
      'rounds',
    ],
    rows,
  );
}

export function formatLoadReport(r: LoadReportInput): string {
  const o = r.options;
  const modes = [...r.runs.keys()];
  const out: string[] = [];
  out.push(
    `# Load: demo traffic${modes.length === 2 ? ', sidecar vs direct' : ` (${modes.join(', ')})`}${o.fault ? `, seeded fault \`${o.fault}\`` : ''}`,
    '',
  );
  if (r.partial) out.push(`> **Partial run:** ${r.partial}`, '');
  out.push(
    `Written by \`make load\` on ${r.generatedAt} (commit ${r.commit}); took ${Math.round(r.elapsedSec)} s. ` +
      `${o.rounds} interleaved round${o.rounds === 1 ? '' : 's'} (one mode first, then the other; the order flips each round); ` +
      'latencies are medians of the round values, counts are summed over rounds.',
    '',
  );
  out.push('## Command', '', '```sh', r.command, '```', '');
  out.push('## Machine', '');
  out.push(`- CPU: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memGiB.toFixed(0)} GiB RAM`);
  out.push(`- load average (1/5/15 min) before: ${r.machine.loadBefore}; after: ${r.machine.loadAfter}`);
  out.push(`- ${r.machine.versions}`, '');

  out.push('## Scenario', '');
  out.push(
    `- Virtual users alternate between the origins \`https://app.zebra.associates\` and \`http://localhost:3001\`; each logs in once ` +
      'through the stack (auth0-url, the local Auth0 stand-in, POST login) and keeps its session, refresh cookie, connection and preflight cache.',
    `- Loop: a refresh (\`POST /api/v1/auth/refresh\`) when the access token expires within ${o.refreshMarginSec} s (tokens live ${o.tokenTtlSec} s), ` +
      `\`GET /api/v1/items\` (${PAGE_ITEMS} items), in one iteration of ${o.postEvery} on average a \`POST /api/v1/items\`; each call preceded by a preflight when ` +
      `the user's cache holds none in date for its URL, method and headers (the stacks run with \`CORS_MAX_AGE=${o.maxAgeSec}\`, so a short run sees the ` +
      `re-sends a long session would); think time ${o.thinkMs} ms on average (uniform 0.5–1.5 ×), starts spread over one think time.`,
    `- Shapes: **steady** ${o.users} users × ${o.seconds} s; **burst** ${o.burstUsers} users reload at the same instant, ${o.bursts} times ` +
      '(each a fresh connection, a fresh preflight, then the GET; "page ready" is from the instant to the GET\'s last byte; ' +
      'tokens due are refreshed just before the instant, so those refreshes are in the table but not in page ready); ' +
      `**ramp** ${o.ramp.join(', ')} users × ${o.rampSeconds} s, a mode's ramp ending in a round at the first step whose p99 exceeds ${o.kneeMs} ms or that fails requests (the knee).`,
    "- Every response is checked: its status and body, and the CORS a browser needs (Access-Control-Allow-Origin equal to the user's origin, " +
      'Allow-Credentials `true`, `Vary: Origin`; for preflights also the method, headers and Max-Age granted). A response can be both failed and CORS-less.',
    `- Database: ${r.database}. Seeded to ${PAGE_ITEMS} items of a tenant new to this run.`,
    '',
  );

  out.push('## Verdict', '');
  out.push('Thresholds (any failing one fails the run, exit 1):', '');
  out.push(verdictTable(modes, r.verdict.checks, ['pass', '**FAIL**'], 'threshold'), '');
  out.push('Targets of the issue (reported, not enforced):', '');
  out.push(verdictTable(modes, r.verdict.targets, ['met', '**missed**'], 'target'), '');
  out.push(`**${r.verdict.pass ? 'PASS' : 'FAIL'}**`, '');

  const rounds = (pick: (m: ModeRuns) => RunSummary[]) =>
    new Map(modes.map((m) => [m, summarizeRounds(pick(r.runs.get(m)!))] as const));
  if (modes.some((m) => r.runs.get(m)!.steady.length)) {
    const s = rounds((m) => m.steady);
    out.push(`## Steady demo load: ${o.users} users, ${o.seconds} s per round`, '');
    out.push(`Throughput (median of rounds): ${pair(modes, (m) => `${m} ${fmtRps(s.get(m)!.rps)} req/s`)}.`, '');
    out.push(shapeTable(modes, s), '');
  }
  if (modes.some((m) => r.runs.get(m)!.burst.length)) {
    const s = rounds((m) => m.burst);
    out.push(`## Burst: ${o.burstUsers} users reload at once, ${o.bursts} times per round`, '');
    out.push(shapeTable(modes, s, [{ label: '**page ready** (preflight + GET)', of: (x) => x.pageReady }]), '');
  }
  if (modes.some((m) => r.runs.get(m)!.ramp.length)) {
    out.push(`## Ramp: users at which p99 crosses ${o.kneeMs} ms`, '');
    out.push(rampTable(modes, r.runs, o.ramp), '');
    for (const m of modes) {
      const knees = r.runs.get(m)!.knees;
      const k = medianKnee(knees);
      const word = Number.isFinite(k)
        ? `≈ **${Math.round(k)} users**`
        : Number.isNaN(k)
          ? 'n/a'
          : `**not reached** (> ${knees[0]?.maxUsers ?? '?'} users)`;
      out.push(`- ${m} knee: ${word} (median of rounds; per round: ${knees.map(describeKnee).join('; ') || 'none'})`);
    }
    out.push(
      '',
      'The knee is interpolated linearly between the last step under and the first over the threshold. ' +
        "\"Client loop lag\" is the load generator's own event-loop delay: when it grows, part of the latency is the client's, not the server's.",
      '',
    );
  }

  out.push('## Logins', '');
  out.push(
    table(
      ['mode', 'logins', 'p50 / p95 / p99 ms', 'failed', 'CORS-less'],
      modes.map((m) => {
        const t = r.runs.get(m)!.logins.kinds.login;
        return [m, count(t.sent), triple(percentiles(t.ms)), count(t.failed), count(t.corsless)];
      }),
    ),
    '',
  );

  const examples = modes.flatMap((m) => [
    ...r.runs.get(m)!.failedExamples.map((e) => `${m} failed: ${e}`),
    ...r.runs.get(m)!.corsExamples.map((e) => `${m} CORS-less: ${e}`),
  ]);
  if (examples.length) {
    out.push('## First failed and CORS-less responses', '', '```', ...examples, '```', '');
  }
  const lag = modes.map((m) => median(r.runs.get(m)!.steady.map((x) => x.loopLagP99Ms)));
  out.push('## Notes', '');
  out.push(
    `- The load generator (a child Node process), the Auth0 stand-in and both stacks share the machine's ${r.machine.cores} cores; ` +
      `loopback only. Client event-loop lag p99 in the steady runs: ${pair(modes, (m) => `${m} ${fmtMs(lag[modes.indexOf(m)]!)} ms`)}.`,
  );
  for (const n of r.notes) out.push(`- ${n}`);
  out.push('');
  return out.join('\n');
}
