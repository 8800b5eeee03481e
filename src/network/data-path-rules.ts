import { emptyScript, type RestoreScript, type SavedTables } from './iptables-rules.js';
import { DP_CHAIN_PATTERN, DP_TAG_PATTERN, INPUT_CHAIN, PREROUTING_CHAIN, dpChain, dpTag } from './names.js';

export interface Backend {
  ip: string;
  port: number;
}

export interface DataPath {
  short: string;
  store: string;
  hostPort: number;
  backends: Backend[];
}

function jumpSpec(path: DataPath): string {
  return `-p tcp -m tcp --dport ${path.hostPort} -m comment --comment ${dpTag(path.short, path.store)} -j ${dpChain(path.short)}`;
}

/**
 * kube-proxy's iptables mode: rule i of n catches 1/(n-i) of what is left, the last takes the
 * rest, so each of n backends gets 1/n of new connections. Conntrack keeps established ones
 * on their backend, which is what lets a drained instance finish its requests.
 */
export function balanceLines(chain: string, backends: Backend[]): string[] {
  return backends.map((backend, i) => {
    const left = backends.length - i;
    const pick = left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(10)}` : '';
    return `-A ${chain} -p tcp${pick} -j DNAT --to-destination ${backend.ip}:${backend.port}`;
  });
}

/** The saved lines (nat and filter) that belong to one data path. */
function ownLines(saved: SavedTables, short: string): { nat: string[]; filter: string[] } {
  const mine = (line: string) => DP_TAG_PATTERN.exec(line)?.[1] === short;
  return { nat: (saved.rules.nat ?? []).filter(mine), filter: (saved.rules.filter ?? []).filter(mine) };
}

/**
 * One transaction per table that replaces a data path whole: its chains are declared (which
 * flushes them in a --noflush restore) and refilled; the jumps from dropship's base chains are
 * touched only when the host port changed. With no backend, the filter chain resets connections
 * to the host port, so clients are refused at once instead of hanging.
 */
export function setBackendsScript(saved: SavedTables, path: DataPath): RestoreScript {
  const chain = dpChain(path.short);
  // The caller holds the host-wide reservation of the port, so any other data path still on it
  // is stale (a store deleted or crashed without its teardown) and would catch the traffic first.
  const script = removeScript(saved, staleOnPort(saved, path));
  script.nat.push(`:${chain} - [0:0]`, ...balanceLines(chain, path.backends));
  script.filter.push(`:${chain} - [0:0]`);
  if (!path.backends.length) script.filter.push(`-A ${chain} -p tcp -j REJECT --reject-with tcp-reset`);
  const own = ownLines(saved, path.short);
  const port = `--dport ${path.hostPort} `;
  const current = (lines: string[]) => lines.length === 1 && lines[0]!.includes(port) && lines[0]!.endsWith(`-j ${chain}`);
  if (!current(own.nat)) {
    script.nat.push(...own.nat.map((line) => line.replace(/^-A /, '-D ')), `-A ${PREROUTING_CHAIN} ${jumpSpec(path)}`);
  }
  if (!current(own.filter)) {
    script.filter.push(...own.filter.map((line) => line.replace(/^-A /, '-D ')), `-I ${INPUT_CHAIN} 1 ${jumpSpec(path)}`);
  }
  return script;
}

/** Data paths other than `path` whose jumps catch `path`'s host port. */
function staleOnPort(saved: SavedTables, path: DataPath): Set<string> {
  const stale = new Set<string>();
  for (const table of ['nat', 'filter'] as const) {
    for (const line of saved.rules[table] ?? []) {
      const short = DP_TAG_PATTERN.exec(line)?.[1];
      if (short && short !== path.short && line.includes(`--dport ${path.hostPort} `)) stale.add(short);
    }
  }
  return stale;
}

/** Remove the data paths `shorts` (jumps and chains), whatever is left of them. */
export function removeScript(saved: SavedTables, shorts: Set<string>): RestoreScript {
  const script = emptyScript();
  for (const table of ['nat', 'filter'] as const) {
    for (const line of saved.rules[table] ?? []) {
      const short = DP_TAG_PATTERN.exec(line)?.[1];
      if (short && shorts.has(short)) script[table].push(line.replace(/^-A /, '-D '));
    }
    for (const chain of saved.chains[table] ?? []) {
      const short = DP_CHAIN_PATTERN.exec(chain)?.[1];
      if (short && shorts.has(short)) script[table].push(`-F ${chain}`, `-X ${chain}`);
    }
  }
  return script;
}

/** The data paths of `store` present in the kernel, by short name. */
export function storeDataPaths(saved: SavedTables, store: string): Set<string> {
  const found = new Set<string>();
  for (const table of ['nat', 'filter'] as const) {
    for (const line of saved.rules[table] ?? []) {
      const match = DP_TAG_PATTERN.exec(line);
      if (match && match[2] === store) found.add(match[1]!);
    }
  }
  return found;
}
