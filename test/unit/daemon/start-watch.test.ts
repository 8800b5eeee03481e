import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { InstanceStatus } from '../../../src/apps/state.js';
import type { LogEntry } from '../../../src/daemon/log-line.js';
import { FAILURE_LINES, startFailure } from '../../../src/daemon/start-watch.js';

const instance = (index: number, state: InstanceStatus['state'], lastExit?: string): InstanceStatus => ({
  index, guid: `g${index}`, state, restarts: 0, crashCount: 1, since: 'then', ...(lastExit ? { lastExit } : {}),
});
const line = (instanceIndex: number, message: string, source = 'APP/PROC/WEB'): LogEntry => ({ time: 't', source, instance: instanceIndex, stream: 'out', message });
const check = (type: 'port' | 'http' | 'process') => ({ healthCheck: { type, endpoint: '/health', startTimeoutMs: 3000 }, containerPort: 8080 });

test('a port check that never passed says plainly that nothing listened on $PORT', () => {
  const failure = startFailure(check('port'), [instance(0, 'crashed', 'Failed after 3s: startup health check never passed.')], [line(0, 'listening on 127.0.0.1:3000')]);
  assert.is(failure.reason, 'nothing listened on $PORT (8080) within 3s: the app must listen on the port in $PORT, on 0.0.0.0');
  assert.equal(failure.lines, ['[APP/PROC/WEB/0] OUT listening on 127.0.0.1:3000']);
});

test('an http check names its endpoint; an exit names the exit', () => {
  assert.is(startFailure(check('http'), [instance(0, 'crashed', 'Failed after 3s: startup health check never passed.')], []).reason, 'GET /health on $PORT (8080) never answered 200 within 3s');
  assert.is(startFailure(check('port'), [instance(0, 'crashed', 'Exit status 3')], []).reason, 'the app exited before it became healthy (Exit status 3)');
});

test("the last lines are the failed instances' own, at most the last ten", () => {
  const recent = [...Array.from({ length: 15 }, (_, i) => line(1, `crash line ${i}`)), line(0, 'healthy one serving'), line(1, 'Exit status 3', 'CELL')];
  const failure = startFailure(check('port'), [instance(0, 'running'), instance(1, 'crashed', 'Exit status 3')], recent);
  assert.is(failure.lines.length, FAILURE_LINES);
  assert.is(failure.lines.at(-1), '[CELL/1] OUT Exit status 3');
  assert.not.ok(failure.lines.some((l) => l.includes('healthy one')), 'instance 0 is healthy: not its lines');
});

test.run();
