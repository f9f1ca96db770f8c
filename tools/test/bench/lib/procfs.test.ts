// Parsers of the /proc files the benchmark samples, on captured text (pure).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  busyShare,
  establishedUpstream,
  newPorts,
  parseProcNetTcp,
  parseProcPidStat,
  parseProcStatCpu,
  parseVmRssKiB,
  roleOf,
  upstreamPeerPorts,
} from '../../../bench/lib/procfs.ts';

// API on 36067 (0x8CE3); the proxy's ports 50000.. (0xC350..); a browser-side connection on 8080.
const TAIL = '00000000:00000000 00:00000000 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0';
const NET_TCP = [
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  `   0: 0100007F:8CE3 00000000:0000 0A ${TAIL}`, // API listener
  `   1: 0100007F:C350 0100007F:8CE3 01 ${TAIL}`, // proxy side, open
  `   2: 0100007F:8CE3 0100007F:C350 01 ${TAIL}`, // API side of the same
  `   3: 0100007F:C351 0100007F:8CE3 06 ${TAIL}`, // proxy closed first: TIME_WAIT on its side
  `   4: 0100007F:8CE3 0100007F:C352 06 ${TAIL}`, // API closed first: TIME_WAIT on the API side
  `   5: 0100007F:C353 0100007F:8CE3 01 ${TAIL}`, // proxy side, open
  `   6: 0100007F:1F90 0100007F:D000 01 ${TAIL}`, // client → proxy on 8080, not upstream
  '',
].join('\n');
const NET_TCP6 = [
  '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  `   0: 00000000000000000000000001000000:C354 00000000000000000000000001000000:8CE3 01 ${TAIL}`,
].join('\n');

describe('socket table', () => {
  const sockets = [...parseProcNetTcp(NET_TCP), ...parseProcNetTcp(NET_TCP6)];
  test('parses ports and states, skips the header', () => {
    assert.equal(sockets.length, 8);
    assert.deepEqual(sockets[0], { localPort: 36067, remotePort: 0, state: 10 });
    assert.deepEqual(sockets[7], { localPort: 50004, remotePort: 36067, state: 1 });
  });
  test('upstream peer ports come from both sides and every state, not the listener or other ports', () => {
    assert.deepEqual([...upstreamPeerPorts(sockets, 36067)].sort(), [50000, 50001, 50002, 50003, 50004]);
  });
  test('open upstream connections are counted once, on the proxy side', () => {
    assert.equal(establishedUpstream(sockets, 36067), 3);
  });
  test('nothing for another port', () => {
    assert.equal(upstreamPeerPorts(sockets, 9999).size, 0);
  });
  test('garbage lines are skipped', () => {
    assert.deepEqual(parseProcNetTcp('header\nnot a row\n  7: zz:zz yy:yy q\n'), []);
  });
});

test('newPorts counts ports not there before', () => {
  assert.equal(newPorts(new Set([1, 2, 3]), new Set([2, 3, 4, 5])), 2);
  assert.equal(newPorts(new Set([1]), new Set()), 0);
});

describe('parseProcPidStat', () => {
  const tail = 'S 100 200 200 0 -1 4194560 1000 0 0 0 250 50 7 3 20 0 4 0 12345 1000000 2000';
  test('plain command name', () => {
    assert.deepEqual(parseProcPidStat(`4242 (caddy) ${tail}`), {
      pid: 4242,
      comm: 'caddy',
      ppid: 100,
      cpuTicks: 300,
      childTicks: 10,
    });
  });
  test('a name with spaces and parentheses', () => {
    const s = parseProcPidStat(`77 (we(ird) na)me) ${tail}`);
    assert.equal(s.comm, 'we(ird) na)me');
    assert.equal(s.ppid, 100);
    assert.equal(s.cpuTicks, 300);
  });
  test('refuses what is not a stat line', () => {
    assert.throws(() => parseProcPidStat('nothing here'));
    assert.throws(() => parseProcPidStat('1 (x) S'));
  });
});

test('parseVmRssKiB', () => {
  assert.equal(parseVmRssKiB('Name:\tuvicorn\nVmPeak:\t  99999 kB\nVmRSS:\t   73628 kB\nThreads:\t5\n'), 73628);
  assert.ok(Number.isNaN(parseVmRssKiB('Name:\tzombie\nState:\tZ (zombie)\n')));
});

test('machine CPU busy share from two /proc/stat samples', () => {
  const a = parseProcStatCpu('cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 50 0 25 400 25 0 0 0 0 0\n');
  const b = parseProcStatCpu('cpu  250 0 100 900 50 0 0 0 0 0\ncpu0 1 1 1 1 1 0 0 0 0 0\n');
  assert.deepEqual(a, { busy: 150, total: 1000 });
  assert.equal(busyShare(a, b), 200 / 300);
  assert.ok(Number.isNaN(busyShare(a, a)));
  assert.throws(() => parseProcStatCpu('intr 1 2 3'));
});

test('roleOf', () => {
  assert.equal(roleOf('caddy', false), 'caddy');
  assert.equal(roleOf('uvicorn', true), 'uvicorn');
  assert.equal(roleOf('supervisord', false), 'supervisord');
  assert.equal(roleOf('python', true), 'entrypoint');
  assert.equal(roleOf('python', false), 'other');
});
