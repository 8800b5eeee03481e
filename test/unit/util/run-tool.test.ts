import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runTool, spawnTool } from '../../../src/util/run-tool.js';

test('exit code and output are collected; one final newline is dropped', async () => {
  const result = await runTool('sh', ['-c', 'echo out; echo err >&2; exit 3']);
  assert.is(result.exitCode, 3);
  assert.ok(result.failed);
  assert.is(result.stdout, 'out');
  assert.is(result.stderr, 'err');
  const ok = await runTool('sh', ['-c', 'printf "a\\n\\n"']);
  assert.is(ok.exitCode, 0);
  assert.not.ok(ok.failed);
  assert.is(ok.stdout, 'a\n');
});

test('input goes to stdin and stdin is closed after it', async () => {
  const result = await runTool('cat', [], { input: 'line one\nline two' });
  assert.is(result.stdout, 'line one\nline two');
  assert.not.ok(result.failed);
});

test('without input stdin is /dev/null: a reader sees end of file at once', async () => {
  const result = await runTool('sh', ['-c', 'cat; echo done']);
  assert.is(result.stdout, 'done');
});

test('a tool killed by a signal has no exit code, the signal, and failed', async () => {
  const result = await runTool('sh', ['-c', 'kill -TERM $$']);
  assert.is(result.exitCode, undefined);
  assert.is(result.signal, 'SIGTERM');
  assert.ok(result.failed);
});

test('a tool that does not exist resolves failed with ENOENT, never rejects', async () => {
  const result = await runTool('/nonexistent/dropship-tool', []);
  assert.ok(result.failed);
  assert.is(result.code, 'ENOENT');
  assert.is(result.exitCode, undefined);
});

test("'pipe' leaves the stream to the caller and collects nothing", async () => {
  const tool = spawnTool('sh', ['-c', 'echo streamed'], { stdout: 'pipe' });
  const chunks: Buffer[] = [];
  tool.child.stdout!.on('data', (chunk: Buffer) => chunks.push(chunk));
  const result = await tool.done;
  assert.is(Buffer.concat(chunks).toString(), 'streamed\n');
  assert.is(result.stdout, '');
});

test.run();
