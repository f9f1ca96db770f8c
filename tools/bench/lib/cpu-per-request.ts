// CPU time per request of some roles of a stack's process tree over one run, as a VariantBench.perRun column:
// machine noise moves req/s far more than the CPU a request costs (roles: sampler.ts roleOf).
import { clockTicksPerSecond, cpuDeltaMs, cpuSnapshot } from './sampler.ts';
import type { PerRun } from './variants.ts';

const ticksPerSecond = clockTicksPerSecond();

export const cpuPerRequest = (label: string, roles: readonly string[]): PerRun => ({
  label,
  begin: (_variant, stack) => {
    const before = cpuSnapshot(stack.child.pid!);
    return (result) => {
      const ms = cpuDeltaMs(before, cpuSnapshot(stack.child.pid!), ticksPerSecond);
      const total = roles.reduce((sum, role) => sum + (ms[role] ?? 0), 0);
      return result.requests > 0 ? (total * 1000) / result.requests : 0;
    };
  },
});

/** Every role of a stack (the harness that drives it excluded). */
export const WHOLE_STACK = ['supervisord', 'entrypoint', 'caddy', 'uvicorn', 'other'] as const;
