// The last deployment that passed the gate, kept in a small JSON file keyed by project/environment/service.
// Why a local file: Railway has no field a client may write on a deployment (Deployment.meta is Railway's own),
// and a service variable would be restored by every rollback (a rollback restores the variables too:
// https://docs.railway.com/deployments/deployment-actions#rollback) and would redeploy when changed.
// The id is re-checked against Railway (canRollback) when it is used, so a stale file fails loudly.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Deployment, GoodRecord } from './guard.ts';

export interface GoodEntry {
  id: string;
  /** When it passed the gate (ISO 8601). */
  recordedAt: string;
  /** The URL the gate probed. */
  url?: string;
}

interface StateFile {
  version: 1;
  /** Keyed by `projectId/environmentId/serviceId`. */
  lastGood: Record<string, GoodEntry>;
}

export interface FileGoodRecord extends GoodRecord {
  readonly file: string;
  readonly key: string;
  /** The entry with its timestamp (lastGood() gives only the deployment). */
  entry(): Promise<GoodEntry | undefined>;
}

/** The state file cannot be read as one: the CLI stops (exit 2) rather than guess or overwrite it. */
export class StateFileError extends Error {
  override name = 'StateFileError';
}

export const recordKey = (projectId: string, environmentId: string, serviceId: string): string =>
  `${projectId}/${environmentId}/${serviceId}`;

async function load(file: string): Promise<StateFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, lastGood: {} };
    throw new StateFileError(`${file}: cannot read it: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Never overwrite it: it may hold other services' records.
    throw new StateFileError(`${file}: not JSON; fix or delete it`);
  }
  const s = parsed as Partial<StateFile> | null;
  if (s?.version !== 1 || typeof s.lastGood !== 'object' || s.lastGood === null)
    throw new StateFileError(`${file}: not an edge-deploy state file (version 1)`);
  return s as StateFile;
}

/** A GoodRecord in `file` under `key`; `url` and `now` go into what remember() writes. */
export function fileGoodRecord(file: string, key: string, opts: { url?: string; now?: () => Date } = {}): FileGoodRecord {
  const now = opts.now ?? (() => new Date());
  const entry = async (): Promise<GoodEntry | undefined> => {
    const e = (await load(file)).lastGood[key];
    return e && typeof e.id === 'string' && e.id ? e : undefined;
  };
  return {
    file,
    key,
    entry,
    async lastGood(): Promise<Deployment | undefined> {
      const e = await entry();
      return e ? { id: e.id } : undefined;
    },
    async remember(d: Deployment): Promise<void> {
      const state = await load(file);
      state.lastGood[key] = { id: d.id, recordedAt: now().toISOString(), ...(opts.url ? { url: opts.url } : {}) };
      await mkdir(path.dirname(file), { recursive: true });
      // Write then rename: an interrupted run leaves the old file, never half a file.
      const tmp = `${file}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(state, null, 2) + '\n');
      await rename(tmp, file);
    },
  };
}
