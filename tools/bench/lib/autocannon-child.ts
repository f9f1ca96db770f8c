// Child process of the benchmark: one autocannon run, result sent back over IPC (see load.ts).
import autocannon from 'autocannon';
import type { ChildReply, LoadJob } from './load.ts';
import { fromAutocannonTally } from './load-result.ts';

function reply(message: ChildReply): void {
  process.send?.(message, () => process.exit(0));
}

process.once('message', (raw) => {
  const job = raw as LoadJob & { timeoutSec: number };
  const latenciesMs: number[] = [];
  let requests = 0;
  let badStatus = 0;
  process.send?.({ started: true } satisfies ChildReply);
  const cpuStart = process.cpuUsage();
  const started = process.hrtime.bigint();
  const instance = autocannon(
    {
      url: job.url,
      method: job.method ?? 'GET',
      connections: job.connections,
      duration: job.durationSec,
      headers: job.headers,
      timeout: job.timeoutSec,
    },
    (err, result) => {
      if (err) {
        reply({ ok: false, error: String(err) });
        return;
      }
      const cpu = process.cpuUsage(cpuStart);
      reply({
        ok: true,
        cpuMs: (cpu.user + cpu.system) / 1000,
        result: fromAutocannonTally({
          latenciesMs,
          requests,
          durationSec: Number(process.hrtime.bigint() - started) / 1e9,
          errors: result.errors,
          timeouts: result.timeouts,
          badStatus,
        }),
      });
    },
  );
  // Per-response times at full resolution (autocannon's own histogram rounds to whole milliseconds).
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    requests++;
    if (statusCode >= 400) badStatus++;
    else latenciesMs.push(responseTime);
  });
});
