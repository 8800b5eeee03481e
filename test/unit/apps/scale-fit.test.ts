import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { scaleEventText, scaleFitError, type HostRoom, type ScaleAsk } from '../../../src/apps/scale-fit.js';

const M = 1024 * 1024;
const G = 1024 * M;
const room: HostRoom = { memTotal: 24 * G, memAvailable: 20 * G, reservedByOthers: 2 * G, otherApps: 3, freeAddresses: 1000, subnet: '10.254.0.0/22' };
const ask = (next: Partial<ScaleAsk['next']>, running = true): ScaleAsk => ({
  name: 'shop',
  processType: 'web',
  current: { instances: 1, memoryBytes: 256 * M, diskBytes: G },
  running,
  next: { instances: 1, memoryBytes: 256 * M, diskBytes: G, ...next },
});

test('instances × memory beyond the host beside the other apps is refused with the numbers and the most that fits', () => {
  const error = scaleFitError(ask({ instances: 1000 }), room)!;
  assert.is(error.code, 'SCALE_DOES_NOT_FIT');
  assert.is(error.message, 'scale shop: 1000 × 256M = 250G of memory does not fit on this host (24G in all, 2.0G of it reserved by 3 other app(s))');
  assert.match(error.hint!, 'at most 88 instance(s) of 256M (`dropship scale shop -i 88`)');
  assert.is(scaleFitError(ask({ instances: 88 }, false), room), undefined, '88 × 256M = 22G fits beside 2G');
  assert.ok(scaleFitError(ask({ instances: 89 }, false), room), '89 does not');
});

test('a stopped app is held to the host total only; a running one also to what is available now', () => {
  const tight = { ...room, memAvailable: 512 * M };
  assert.is(scaleFitError(ask({ instances: 10 }, false), tight), undefined, 'a stopped app starts nothing now');
  const error = scaleFitError(ask({ instances: 4 }), tight)!;
  assert.match(error.message, 'scale shop: 768M more memory for web is more than the host has available now (512M MemAvailable)');
  assert.is(scaleFitError(ask({ instances: 3 }), tight), undefined, '512M more fits in 512M');
});

test('each new instance needs a container address, and a roll one more', () => {
  const few = { ...room, freeAddresses: 2 };
  assert.is(scaleFitError(ask({ instances: 3 }), few), undefined);
  assert.match(scaleFitError(ask({ instances: 4 }), few)!.message, 'scale shop: 3 more instance(s) need 3 container address(es); 10.254.0.0/22 has 2 free');
  const none = { ...room, freeAddresses: 0 };
  assert.ok(scaleFitError(ask({ memoryBytes: 128 * M }), none), 'a roll overlaps an old instance and its replacement');
  assert.is(scaleFitError(ask({ instances: 0 }), none), undefined, 'scaling down needs nothing');
});

test('the scale event names the process and each changed value, old → new', () => {
  const current = { processType: 'worker', instances: 1, memoryBytes: 256 * M, diskBytes: G };
  assert.is(scaleEventText(current, { instances: 3, memoryBytes: 128 * M, diskBytes: G }), 'worker: instances 1 → 3, memory 256M → 128M');
  assert.is(scaleEventText(current, { instances: 1, memoryBytes: 256 * M, diskBytes: 512 * M }), 'worker: disk 1.0G → 512M');
});

test.run();
