// The benchmark report as markdown (docs/bench/latest.md and the console): pure formatting.
import type { CpuSummary, RssPoint, UpstreamSummary } from './resources.ts';
import type { CellSummary, Mode, TargetCheck } from './table.ts';

export interface MachineNote {
  cpu: string;
  cores: number;
  memGiB: number;
  loadBefore: string;
  loadAfter: string;
  versions: string;
  tool: string;
}

/** What every bench report's header says about its run (run.ts runHeader). */
export interface RunHeader {
  generatedAt: string;
  command: string;
  commit: string;
  machine: MachineNote;
  rounds: number;
  durationSec: number;
  warmupSec: number;
  elapsedSec: number;
  /** Start of each run left out of the upstream churn count. */
  rampMs: number;
}

export interface ReportInput extends RunHeader {
  summaries: readonly CellSummary[];
  targets: readonly TargetCheck[];
  upstream: readonly UpstreamSummary[];
  rss: readonly RssPoint[];
  cpu: readonly CpuSummary[];
  notes: readonly string[];
  /** Set when the run stopped early (deadline, failure): the report says so at the top. */
  partial?: string;
}

const finite = (v: number) => Number.isFinite(v);

export function fmtRps(v: number): string {
  return finite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a';
}

/** Latency in ms with precision that suits its size (0.153, 2.41, 118.3). */
export function fmtMs(v: number): string {
  if (!finite(v)) return 'n/a';
  const a = Math.abs(v);
  return v.toFixed(a < 1 ? 3 : a < 10 ? 2 : 1);
}

export function fmtRatio(v: number): string {
  return finite(v) ? v.toFixed(2) : 'n/a';
}

function fmtSigned(v: number): string {
  return finite(v) ? (v >= 0 ? '+' : '') + fmtMs(v) : 'n/a';
}

function fmtKiB(v: number): string {
  return finite(v) ? `${(v / 1024).toFixed(1)} MiB` : 'n/a';
}

export function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

const cellName = (s: { label: string; connections: number }) => `${s.label} @ ${s.connections}`;

export function formatReport(r: ReportInput): string {
  const out: string[] = [];
  out.push('# Benchmark: sidecar (Caddy → uvicorn) vs direct uvicorn');
  out.push('');
  if (r.partial) out.push(`> **Partial run:** ${r.partial}`, '');
  out.push(
    `Written by \`make bench\` on ${r.generatedAt} (commit ${r.commit}); took ${Math.round(r.elapsedSec)} s. ` +
      `Medians over ${r.rounds} interleaved rounds of ${r.durationSec} s per endpoint, concurrency and mode, ` +
      `after a ${r.warmupSec} s warm-up of each; ratios are sidecar / direct.`,
  );
  out.push('');
  out.push('## Command', '', '```sh', r.command, '```', '');
  out.push('## Machine', '');
  out.push(`- CPU: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memGiB.toFixed(0)} GiB RAM`);
  out.push(`- load average (1/5/15 min) before: ${r.machine.loadBefore}; after: ${r.machine.loadAfter}`);
  out.push(`- ${r.machine.versions}`);
  out.push(`- load generator: ${r.machine.tool}`);
  out.push('');

  out.push('## Results', '');
  out.push(
    table(
      [
        'endpoint @ connections',
        'sidecar req/s',
        'direct req/s',
        'req/s ratio',
        'sidecar p50 ms',
        'direct p50 ms',
        'added p50 ms',
        'sidecar p99 ms',
        'direct p99 ms',
        'p99 ratio',
      ],
      r.summaries.map((s) => [
        cellName(s.cell),
        fmtRps(s.sidecar.rps),
        fmtRps(s.direct.rps),
        fmtRatio(s.rpsRatio),
        fmtMs(s.sidecar.p50Ms),
        fmtMs(s.direct.p50Ms),
        fmtSigned(s.addedP50Ms),
        fmtMs(s.sidecar.p99Ms),
        fmtMs(s.direct.p99Ms),
        fmtRatio(s.p99Ratio),
      ]),
    ),
  );
  out.push('');
  out.push('Spread and failures (a stalled round, where requests timed out or none completed, is left out of the medians):', '');
  const modeRow = (s: CellSummary, mode: Mode) => {
    const m = s[mode];
    return [
      cellName(s.cell),
      mode,
      String(m.rounds),
      m.stalled ? `**${m.stalled}**` : '0',
      m.requests.toLocaleString('en-US'),
      `${fmtRps(m.rpsMin)}–${fmtRps(m.rpsMax)}`,
      String(m.failures),
    ];
  };
  out.push(
    table(
      [
        'endpoint @ connections',
        'mode',
        'rounds in medians',
        'stalled rounds',
        'requests',
        'req/s min–max',
        'failed (errors, timeouts, ≥ 400)',
      ],
      r.summaries.flatMap((s) => [modeRow(s, 'sidecar'), modeRow(s, 'direct')]),
    ),
  );
  out.push('');

  out.push('## Targets (reported, not asserted)', '');
  out.push(
    table(
      ['target', 'measured', 'verdict'],
      r.targets.map((t) => [t.target, t.measured, `**${t.verdict}**`]),
    ),
  );
  const targetNotes = r.targets.filter((t) => t.note);
  if (targetNotes.length) {
    out.push('');
    for (const t of targetNotes) out.push(`- ${t.target}: ${t.note}`);
  }
  out.push('');

  out.push('## Upstream connection pool (sidecar runs)', '');
  out.push(
    'Caddy → uvicorn connections, from snapshots of the kernel socket table before each run, ' +
      `${r.rampMs} ms into it, 250 ms before its end and after it (a connection closed normally lingers in ` +
      'TIME_WAIT, so short-lived ones are seen too). A run starts on a partly empty pool: the load generator ends ' +
      'each run by closing its connections with requests in flight, and Caddy drops the upstream connections of ' +
      'those cancelled requests. So "opened per run" is mostly the ramp-up; "opened after ramp-up" (between the ' +
      'two snapshots inside the run) is the churn the pool size controls: with a pool smaller than the concurrency ' +
      'it grows with the request count, with a large enough pool it stays near 0.',
  );
  out.push('');
  const cellById = new Map(r.summaries.map((s) => [s.cell.id, s.cell]));
  out.push(
    table(
      [
        'endpoint @ connections',
        'runs',
        'open before (median)',
        'max open (sampled)',
        'opened per run (median)',
        'opened after ramp-up (median / max)',
        'worst share of steady requests on a new connection',
      ],
      r.upstream.map((u) => {
        const cell = cellById.get(u.cellId);
        return [
          cell ? cellName(cell) : u.cellId,
          String(u.runs),
          String(u.medianEstablishedBefore),
          String(u.maxEstablished),
          String(u.medianOpened),
          `${u.medianOpenedSteady} / ${u.maxOpenedSteady}`,
          finite(u.maxSteadyShare) ? `${(u.maxSteadyShare * 100).toFixed(2)} %` : 'n/a',
        ];
      }),
    ),
  );
  out.push('');

  out.push('## uvicorn memory (VmRSS)', '');
  const whens = [...new Set(r.rss.map((p) => p.when))];
  out.push(
    table(
      ['mode', ...whens],
      (['sidecar', 'direct'] as const).map((mode) => [
        mode,
        ...whens.map((w) => fmtKiB(r.rss.find((p) => p.mode === mode && p.when === w)?.kib ?? Number.NaN)),
      ]),
    ),
  );
  out.push('');

  out.push('## CPU per 1,000 requests (ms, summed over rounds)', '');
  // Roles that used any CPU, in stack order.
  const used = (role: string) => r.cpu.some((c) => (c.perKiloRequest[role] ?? 0) > 0);
  const roles = [...new Set(r.cpu.flatMap((c) => Object.keys(c.perKiloRequest)))]
    .filter(used)
    .sort((a, b) => ROLE_ORDER.indexOf(a) - ROLE_ORDER.indexOf(b) || a.localeCompare(b));
  out.push(
    table(
      ['endpoint @ connections', 'mode', ...roles, 'machine busy (median)'],
      r.cpu.map((c) => {
        const cell = cellById.get(c.cellId);
        return [
          cell ? cellName(cell) : c.cellId,
          c.mode,
          ...roles.map((role) => (role in c.perKiloRequest ? fmtMs(c.perKiloRequest[role]!) : '–')),
          finite(c.medianMachineBusy) ? `${(c.medianMachineBusy * 100).toFixed(0)} %` : 'n/a',
        ];
      }),
    ),
  );
  out.push('');
  if (r.notes.length) {
    out.push('## Notes', '');
    for (const n of r.notes) out.push(`- ${n}`);
    out.push('');
  }
  return out.join('\n');
}

const ROLE_ORDER = ['load generator', 'harness', 'caddy', 'uvicorn', 'supervisord', 'entrypoint', 'other'];
