// The stacks one benchmark starts: stopped together at the end, or on SIGINT/SIGTERM (scratch dir removed).
import { rmSync } from 'node:fs';
import type { Stack } from '../../testkit/stack.ts';

export interface StackGroup<K> {
  stacks: Map<K, Stack>;
  /** Stop every stack and remove the scratch directory; also stops listening for signals. */
  close: () => Promise<void>;
}

export function stackGroup<K>(name: string, scratch: string): StackGroup<K> {
  const stacks = new Map<K, Stack>();
  const stopAll = async () => {
    await Promise.all([...stacks.values()].map((s) => s.stop().catch(() => undefined)));
    stacks.clear();
    rmSync(scratch, { recursive: true, force: true });
  };
  const onSignal = (sig: NodeJS.Signals) => {
    console.error(`${name}: ${sig}, stopping the stacks`);
    void stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    stacks,
    close: async () => {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      await stopAll();
    },
  };
}
