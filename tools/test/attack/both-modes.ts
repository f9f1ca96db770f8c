// The attack suites' fixture: one sidecar and one direct stack with the same options, for the enclosing describe.
import { after, before } from 'node:test';
import { startStack, type Stack, type StackOptions } from '../../src/harness/stack.ts';

export const MODES = ['sidecar', 'direct'] as const;
export type Mode = (typeof MODES)[number];

/**
 * Starts a stack in each mode before the enclosing describe's tests and stops both after them; the array
 * is filled by then, sidecar first. `options` may depend on the mode (e.g. a database file per stack).
 */
export function stacksInBothModes(options: Omit<StackOptions, 'mode'> | ((mode: Mode) => Omit<StackOptions, 'mode'>) = {}): Stack[] {
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
