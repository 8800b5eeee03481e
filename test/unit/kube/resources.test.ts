import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpuSharesForMemory } from '../../../src/container/index.js';
import { probesFor } from '../../../src/kube/probes.js';
import { cpuMillicores, quantity, resourcesFor } from '../../../src/kube/resources.js';
import { web } from './fixture.js';

const MiB = 1024 * 1024;

test('cpu request is the memory-derived shares in millicores (clamped 128M..8G)', () => {
  // weight = 100 × clamp(mem)/8192M; shares = 1024 × weight/100; millicores = shares × 1000/1024
  assert.is(cpuMillicores(64 * MiB), 16, 'below 128M counts as 128M: shares 16');
  assert.is(cpuMillicores(128 * MiB), 16);
  assert.is(cpuMillicores(256 * MiB), 31, 'shares 32');
  assert.is(cpuMillicores(1024 * MiB), 125, 'shares 128');
  assert.is(cpuMillicores(8192 * MiB), 1000, 'shares 1024: one cpu');
  assert.is(cpuMillicores(64 * 1024 * MiB), 1000, 'above 8G counts as 8G');
  for (const mem of [128, 300, 1000, 4096]) {
    // The kubelet writes cpu.shares = millicores × 1024 / 1000: the same weight dropship writes.
    assert.ok(Math.abs(Math.round((cpuMillicores(mem * MiB) * 1024) / 1000) - cpuSharesForMemory(mem * MiB)) <= 1, `${mem}M`);
  }
});

test('memory: request = limit; disk: ephemeral-storage; no cpu limit', () => {
  assert.equal(resourcesFor(web({ memoryBytes: 512 * MiB, diskBytes: 2048 * MiB })), {
    requests: { cpu: '63m', memory: '512Mi', 'ephemeral-storage': '2Gi' },
    limits: { memory: '512Mi', 'ephemeral-storage': '2Gi' },
  });
  assert.is(quantity(1000), '1000');
  assert.is(quantity(1536 * MiB), '1536Mi');
  assert.is(quantity(3 * 1024), '3Ki');
});

test('port → tcpSocket 8080, startup every 2 s for ⌈timeout/2⌉, liveness every 30 s, one failure', () => {
  const { startupProbe, livenessProbe } = probesFor(web({ healthCheck: { type: 'port', timeoutSeconds: 61 } }));
  assert.equal(startupProbe, { tcpSocket: { port: 8080 }, timeoutSeconds: 1, periodSeconds: 2, failureThreshold: 31 });
  assert.equal(livenessProbe, { tcpSocket: { port: 8080 }, timeoutSeconds: 1, periodSeconds: 30, failureThreshold: 1 });
  assert.is.not(startupProbe!.tcpSocket, livenessProbe!.tcpSocket, 'no shared objects (YAML would alias them)');
});

test('http → httpGet on the endpoint; process → no probes; a 0 s timeout still gets one try', () => {
  const http = probesFor(web({ healthCheck: { type: 'http', endpoint: '/healthz', timeoutSeconds: 60 } }));
  assert.equal(http.startupProbe?.httpGet, { path: '/healthz', port: 8080 });
  assert.equal(http.livenessProbe?.httpGet, { path: '/healthz', port: 8080 });
  assert.is(http.startupProbe?.failureThreshold, 30);
  assert.equal(probesFor(web({ healthCheck: { type: 'http', timeoutSeconds: 60 } })).startupProbe?.httpGet?.path, '/');
  assert.equal(probesFor(web({ healthCheck: { type: 'process', timeoutSeconds: 60 } })), {});
  assert.is(probesFor(web({ healthCheck: { type: 'port', timeoutSeconds: 0 } })).startupProbe?.failureThreshold, 1);
});

test.run();
