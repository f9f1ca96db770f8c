// Child process of `make load`: the virtual users, so the parent's log drains and the stand-in do not share their event loop.

import type { WorkerReply, WorkerRequest } from './driver.ts';
import { Engine } from './engine.ts';

const engine = new Engine();

process.on('message', (raw) => {
  const m = raw as WorkerRequest;
  const reply = (r: WorkerReply) => process.send?.(r);
  const run = m.method === 'login' ? engine.login(m.job) : m.method === 'steady' ? engine.steady(m.job) : engine.burst(m.job);
  run.then(
    (value) => reply({ id: m.id, ok: true, value }),
    (err: Error) => reply({ id: m.id, ok: false, error: err.stack ?? err.message }),
  );
});
// The parent is gone (it ended, or was killed): nothing is left to report to.
process.on('disconnect', () => process.exit(0));
