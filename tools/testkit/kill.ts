// kill -9 a process again and again, each time once a new one has replaced it: how tests make a crash loop.

import { waitFor } from './stack.ts';

/**
 * SIGKILL the process `findPid` names `times` times, waiting (up to 30 s each) for a new pid between kills;
 * `findPid` returns 0 while there is none. Returns Date.now() at the last kill.
 */
export async function killRepeatedly(
  findPid: () => Promise<number>,
  times: number,
  gone: () => boolean = () => false,
): Promise<number> {
  let last = 0;
  let killedAt = 0;
  for (let i = 0; i < times; i++) {
    let pid = 0;
    await waitFor(
      async () => {
        pid = await findPid();
        return pid !== 0 && pid !== last;
      },
      30_000,
      gone,
    );
    process.kill(pid, 'SIGKILL');
    killedAt = Date.now();
    last = pid;
  }
  return killedAt;
}
