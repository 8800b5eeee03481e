import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, connect, type Server, type AddressInfo } from 'node:net';
import { Router } from '../../../src/daemon/router.js';

async function echoServer(name: string): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.end(name));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as AddressInfo).port };
}

async function routerOnFreePort(): Promise<Router> {
  for (let port = 40000 + Math.floor(Math.random() * 20000); ; port++) {
    const router = new Router(port, '127.0.0.1');
    try {
      await router.listen();
      return router;
    } catch {
      continue;
    }
  }
}

function ask(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let text = '';
    socket.on('data', (d) => (text += d));
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
  });
}

test('connections are spread round-robin over the backends in rotation', async () => {
  const a = await echoServer('a');
  const b = await echoServer('b');
  const router = await routerOnFreePort();
  try {
    router.add('a', { host: '127.0.0.1', port: a.port });
    router.add('b', { host: '127.0.0.1', port: b.port });
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await ask(router.port));
    assert.is(answers.filter((x) => x === 'a').length, 3);
    assert.is(answers.filter((x) => x === 'b').length, 3);
    await router.remove('a');
    for (let i = 0; i < 3; i++) assert.is(await ask(router.port), 'b');
  } finally {
    await router.close();
    a.server.close();
    b.server.close();
  }
});

test('a backend that refuses is skipped; with none in rotation the connection is closed', async () => {
  const b = await echoServer('b');
  const dead = await echoServer('dead');
  dead.server.close();
  const router = await routerOnFreePort();
  try {
    assert.is(await ask(router.port), '');
    router.add('dead', { host: '127.0.0.1', port: dead.port });
    router.add('b', { host: '127.0.0.1', port: b.port });
    for (let i = 0; i < 4; i++) assert.is(await ask(router.port), 'b');
  } finally {
    await router.close();
    b.server.close();
  }
});

test('remove waits for open connections to end before it resolves', async () => {
  const slow = createServer((socket) => setTimeout(() => socket.end('slow'), 150));
  await new Promise<void>((r) => slow.listen(0, '127.0.0.1', () => r()));
  const router = await routerOnFreePort();
  try {
    router.add('slow', { host: '127.0.0.1', port: (slow.address() as AddressInfo).port });
    const answer = ask(router.port);
    await new Promise((r) => setTimeout(r, 50));
    let removed = false;
    const removing = router.remove('slow', 5000).then(() => (removed = true));
    await new Promise((r) => setTimeout(r, 20));
    assert.is(removed, false, 'still draining while the request is open');
    assert.is(await answer, 'slow');
    await removing;
    assert.is(removed, true);
  } finally {
    await router.close();
    slow.close();
  }
});

test.run();
