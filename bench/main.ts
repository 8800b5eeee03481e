import { cpus, loadavg } from 'node:os';
import { benchApps } from './apps.js';
import { benchCnb } from './cnb.js';
import { benchContainer } from './container.js';
import { benchImages } from './images.js';
import { benchLayers } from './layers.js';
import { benchNetwork } from './network.js';
import { benchPush } from './push.js';
import { benchRepave } from './repave.js';
import { benchRunModel } from './run-model.js';
import type { Row } from './row.js';
import { benchStaging } from './staging.js';

// `npm run bench [group…]`: each group measures dropship beside a peer tool in the same run.
const groups: Record<string, () => Promise<Row[]>> = {
  container: benchContainer,
  layers: benchLayers,
  staging: benchStaging,
  images: benchImages,
  network: benchNetwork,
  apps: benchApps,
  push: benchPush,
  cnb: benchCnb,
  repave: benchRepave,
  run: benchRunModel,
};

const fmt = (ms: number | undefined) => (ms === undefined ? '' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !(name in groups));
if (unknown.length) {
  process.stderr.write(`error: unknown bench group ${unknown.join(', ')}\nhint: choose from ${Object.keys(groups).join(', ')}\n`);
  process.exit(2);
}

process.env.DROPSHIP_HOME ??= '/var/tmp/dropship-bench';
// The host may be shared: the load beside the figures says how much they are inflated.
const load = () => loadavg().map((n) => n.toFixed(2)).join(', ');
process.stdout.write(`dropship bench — ${new Date().toISOString()} — load average ${load()} — ${cpus().length} cores\n`);
for (const name of wanted.length ? wanted : Object.keys(groups)) {
  process.stdout.write(`\n## ${name}\n`);
  try {
    for (const row of await groups[name]!()) {
      const peer = row.peer ? `  vs ${row.peer}${row.peer_median_ms !== undefined ? ` ${fmt(row.peer_median_ms)}` : ''}` : '';
      const ratio = row.ratio !== undefined ? `  ratio ${row.ratio.toFixed(2)}×` : '';
      process.stdout.write(`${row.name.padEnd(48)} ${fmt(row.median_ms).padStart(10)}${peer}${ratio}${row.note ? `  (${row.note})` : ''}\n`);
    }
  } catch (error) {
    process.stdout.write(`  failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
process.stdout.write(`\nload average at the end ${load()}\n`);
