// The notes under `make bench`'s tables: which runs stalled (and why the app does), and what every run includes.
import { CELLS, ITEMS_PATH, SEED_ITEMS, TENANT } from './api-stack.ts';
import type { Mode } from './table.ts';

/** A run after which the API had to be waited for (round 0: warm-up); `stalled` ones left the medians. */
export interface Stall {
  cellId: string;
  mode: Mode;
  round: number;
  recoverySec: number;
  stalled: boolean;
}

function stallName(x: Stall): string {
  const cell = CELLS.find((c) => c.id === x.cellId)!;
  const when = x.round === 0 ? 'warm-up' : `round ${x.round}`;
  return `${cell.label} @ ${cell.connections} ${x.mode} ${when} (${x.recoverySec.toFixed(0)} s)`;
}

/** The note on stalled runs and their diagnosis; undefined when the API never had to be waited for. */
export function stallNote(stalls: readonly Stall[]): string | undefined {
  if (!stalls.length) return undefined;
  const left = stalls.filter((x) => x.stalled);
  const other = stalls.filter((x) => !x.stalled);
  return (
    `**${left.length} stalled run(s)**, left out of the medians: ${left.map(stallName).join('; ') || 'none'}` +
    `${other.length ? `; the API also had to be waited for after: ${other.map(stallName).join('; ')}` : ''}. ` +
    `The API stopped answering ${ITEMS_PATH} and answered again after the seconds shown. This is the app, ` +
    'not the proxy: it stalls behind uvicorn alone too. Diagnosed while building this bench (py-spy): with ' +
    "more than 40 requests in flight, all 40 AnyIO worker threads wait in SQLAlchemy's QueuePool (5 + 10 " +
    'connections) while the requests holding those connections wait for a worker thread to serialize their ' +
    'response (FastAPI does that in the same thread pool for sync routes, before the session closes): a ' +
    'deadlock until the 30 s pool timeout.'
  );
}

/** What every run's numbers include, whatever happened in it. */
export function standingNotes(): string[] {
  return [
    'The load generator shares the 2 cores with the servers (loopback only); absolute numbers are lower than on a ' +
      'dedicated client, the ratios within one run are what compare.',
    'Sidecar runs include what the shipped configuration costs per request: Caddy writes one JSON access-log line ' +
      "(~0.7 KB) into the entrypoint's stdout and the API one line into the entrypoint's FIFO, neither through " +
      'supervisord (docs/bench/access-log.md); the entrypoint relays the API line, and under this harness the access ' +
      "line too, because Node's child stdio is a socket (see the CPU table: supervisord, entrypoint, harness).",
    `Each mode has its own SQLite file in a temporary directory, seeded with ${SEED_ITEMS} items of tenant "${TENANT}"; ` +
      `${ITEMS_PATH} lists them (limit 50), /health/live touches no database. ${ITEMS_PATH} requests carry a ` +
      'bearer token from one login through the stack (local Auth0 stand-in): the API validates it (RS256, cached JWKS) on every request.',
  ];
}
