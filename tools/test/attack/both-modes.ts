// The attack suites' fixtures: one sidecar and one direct stack with the same options, and raw header lines sent to the fake app.
import { after, before } from 'node:test';
import { type RawResponse, request } from '../../testkit/http.ts';
import { type Stack, type StackOptions, startStack } from '../../testkit/stack.ts';

export const MODES = ['sidecar', 'direct'] as const;
export type Mode = (typeof MODES)[number];

/**
 * Starts a stack in each mode before the enclosing describe's tests and stops both after them; the array
 * is filled by then, sidecar first. `options` may depend on the mode (e.g. a database file per stack).
 */
export function stacksInBothModes(
  options: Omit<StackOptions, 'mode'> | ((mode: Mode) => Omit<StackOptions, 'mode'>) = {},
): Stack[] {
  const stacks: Stack[] = [];
  before(async () => {
    const of = (mode: Mode) => (typeof options === 'function' ? options(mode) : options);
    stacks.push(...(await Promise.all(MODES.map((mode) => startStack({ ...of(mode), mode })))));
  });
  after(async () => {
    await Promise.all(stacks.map((s) => s.stop()));
  });
  return stacks;
}

/**
 * Send header lines exactly as given to the fake app's /fake/echo: node:http takes a flat [name, value, ...]
 * array and writes one line per pair, duplicates kept (it then adds no Host of its own, hence ours).
 */
export function send(stack: Stack, method: string, lines: string[]): Promise<RawResponse> {
  const headers = ['Host', `127.0.0.1:${stack.port}`, ...lines] as unknown as Record<string, string>;
  return request(`${stack.base}/fake/echo`, { method, headers });
}
