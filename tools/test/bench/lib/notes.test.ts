// The notes under `make bench`'s tables: the stall note names each run that had to be waited for.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stallNote, standingNotes } from '../../../bench/lib/notes.ts';

test('no stall, no stall note', () => assert.equal(stallNote([]), undefined));

test('stalled runs are named as left out; other waits are listed apart; warm-up is round 0', () => {
  const note = stallNote([
    { cellId: 'items-64', mode: 'sidecar', round: 2, recoverySec: 31.2, stalled: true },
    { cellId: 'live-1', mode: 'direct', round: 0, recoverySec: 3, stalled: false },
  ]);
  assert.match(note!, /^\*\*1 stalled run\(s\)\*\*, left out of the medians: \/api\/v1\/items @ 64 sidecar round 2 \(31 s\); /);
  assert.match(note!, /the API also had to be waited for after: \/health\/live @ 1 direct warm-up \(3 s\)\. /);
});

test('only waits: "none" left out', () => {
  const note = stallNote([{ cellId: 'live-64', mode: 'sidecar', round: 1, recoverySec: 2, stalled: false }]);
  assert.match(note!, /^\*\*0 stalled run\(s\)\*\*, left out of the medians: none; /);
});

test('three standing notes, the seeded data among them', () => {
  const notes = standingNotes();
  assert.equal(notes.length, 3);
  assert.match(notes[2]!, /seeded with 10 items of tenant "bench"/);
});
