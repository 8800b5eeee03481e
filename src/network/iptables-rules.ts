import { createHash } from 'node:crypto';
import { parseDestinations, parsePorts, type PortSpan } from './rules.js';
import {
  ANTISPOOF_CHAIN,
  CHAIN_PATTERN,
  FORWARD_CHAIN,
  INPUT_CHAIN,
  OUTPUT_CHAIN,
  POSTROUTING_CHAIN,
  PREROUTING_CHAIN,
  ruleTag,
  taggedShort,
  sgChain,
  VETHS,
  vethName,
} from './names.js';
import type { HostPort, SecurityGroupRule } from './types.js';

/** iptables-restore input, table by table; pure text so that it can be tested without root. */
export interface RestoreScript {
  raw: string[];
  filter: string[];
  nat: string[];
}

/** How many rules a removal script deletes (its `-D` lines; chain flushes and deletions are not rules). */
export function deletedRules(script: RestoreScript): number {
  return [script.raw, script.filter, script.nat].flat().filter((line) => line.startsWith('-D')).length;
}

export const TABLES = ['raw', 'filter', 'nat'] as const;
export type Table = (typeof TABLES)[number];

export const emptyScript = (): RestoreScript => ({ raw: [], filter: [], nat: [] });

export function renderRestore(script: RestoreScript): string {
  let text = '';
  for (const table of TABLES) {
    if (script[table].length) text += `*${table}\n${script[table].join('\n')}\nCOMMIT\n`;
  }
  return text;
}

// TCP gets a reset: connect() fails at once, and unlike ICMP errors resets are not rate-limited
// per destination by the kernel (a burst of refusals would otherwise turn into timeouts).
const REJECT_TCP = '-p tcp -j REJECT --reject-with tcp-reset';
const REJECT = '-j REJECT --reject-with icmp-port-unreachable';

export interface BaseChain {
  table: Table;
  chain: string;
  /** Fixed rules before the per-container rules, and after them. */
  head: string[];
  tail: string[];
}

/** The fixed part: dropship's chains and the one jump into each from the built-in chains. */
export function baseChains(subnet: string): BaseChain[] {
  return [
    {
      table: 'filter',
      chain: FORWARD_CHAIN,
      // Replies (both ways) and inbound connections that a host port DNATed are let through;
      // container-initiated traffic goes to the container's own chain, then is refused.
      head: [
        `-o ${VETHS} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
        `-i ${VETHS} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
        `! -i ${VETHS} -o ${VETHS} -m conntrack --ctstate DNAT -j ACCEPT`,
      ],
      tail: [`-i ${VETHS} ${REJECT_TCP}`, `-i ${VETHS} ${REJECT}`, `-o ${VETHS} ${REJECT}`],
    },
    {
      table: 'filter',
      chain: OUTPUT_CHAIN,
      // A redirect would tell a container about another route on its link; its link has only the host.
      head: [],
      tail: [`-o ${VETHS} -p icmp --icmp-type redirect -j DROP`],
    },
    {
      table: 'filter',
      chain: INPUT_CHAIN,
      head: [],
      tail: [`-i ${VETHS} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`, `-i ${VETHS} ${REJECT_TCP}`, `-i ${VETHS} ${REJECT}`],
    },
    // Filled per container (antispoofLine); before conntrack, so a forged packet cannot even
    // match another container's established connection.
    { table: 'raw', chain: ANTISPOOF_CHAIN, head: [], tail: [] },
    { table: 'nat', chain: PREROUTING_CHAIN, head: [], tail: [] },
    {
      table: 'nat',
      chain: POSTROUTING_CHAIN,
      head: [],
      tail: [
        // 127.0.0.1:HOSTPORT reaches a container only if the loopback source is rewritten.
        `-s 127.0.0.0/8 -o ${VETHS} -j MASQUERADE`,
        `-s ${subnet} ! -o ${VETHS} -j MASQUERADE`,
      ],
    },
  ];
}

/**
 * The last fixed rule of a chain carries a digest of all of them: a host set up by an older
 * dropship, or for another subnet, is recognised and its fixed rules rewritten.
 */
function marked(base: BaseChain): string[] {
  if (!base.tail.length) return [];
  const digest = createHash('sha256').update([...base.head, '|', ...base.tail].join('\n')).digest('hex').slice(0, 12);
  const last = base.tail[base.tail.length - 1]!.replace(/ -j /, ` -m comment --comment dropship-base:${digest} -j `);
  return [...base.tail.slice(0, -1), last];
}

/** Position in DROPSHIP-FORWARD where per-container jumps go: after the three ACCEPTs. */
export const CONTAINER_JUMP_POSITION = 4;

/** The jumps from built-in chains, exactly as iptables-save prints them. */
export const BASE_JUMPS: { table: Table; chain: string; spec: string }[] = [
  { table: 'raw', chain: 'PREROUTING', spec: `-i ${VETHS} -j ${ANTISPOOF_CHAIN}` },
  { table: 'filter', chain: 'FORWARD', spec: `-j ${FORWARD_CHAIN}` },
  { table: 'filter', chain: 'INPUT', spec: `-j ${INPUT_CHAIN}` },
  { table: 'filter', chain: 'OUTPUT', spec: `-j ${OUTPUT_CHAIN}` },
  { table: 'nat', chain: 'PREROUTING', spec: `-m addrtype --dst-type LOCAL -j ${PREROUTING_CHAIN}` },
  { table: 'nat', chain: 'OUTPUT', spec: `-m addrtype --dst-type LOCAL -j ${PREROUTING_CHAIN}` },
  { table: 'nat', chain: 'POSTROUTING', spec: `-j ${POSTROUTING_CHAIN}` },
];

/** What iptables-save shows: chain names and rule lines per table. */
export interface SavedTables {
  chains: Record<string, Set<string>>;
  rules: Record<string, string[]>;
}

export function parseSave(text: string): SavedTables {
  const saved: SavedTables = { chains: {}, rules: {} };
  let table = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) {
      table = line.slice(1).trim();
      saved.chains[table] ??= new Set();
      saved.rules[table] ??= [];
    } else if (line.startsWith(':') && table) {
      saved.chains[table]!.add(line.slice(1).split(' ')[0]!);
    } else if (line.startsWith('-A ') && table) {
      saved.rules[table]!.push(line);
    }
  }
  return saved;
}

// Per-container rules and data-path jumps live in base chains and survive a repair of them.
const CONTAINER_TAG = /--comment "?dropship(?:-dp)?:[0-9a-f]{10}/;

/**
 * The restore lines that create or repair the base (nothing when it is current). A chain being
 * repaired keeps the per-container rules it holds, in place, within one transaction.
 */
export function missingBase(saved: SavedTables, subnet: string): RestoreScript {
  const script = emptyScript();
  for (const base of baseChains(subnet)) {
    const present = saved.chains[base.table]?.has(base.chain) ?? false;
    const lines = (saved.rules[base.table] ?? []).filter((line) => line.startsWith(`-A ${base.chain} `));
    const tail = marked(base);
    const marker = tail.length ? /dropship-base:[0-9a-f]+/.exec(tail[tail.length - 1]!)![0] : undefined;
    if (present && (!marker || lines.some((line) => line.includes(marker)))) continue;
    const kept = lines.filter((line) => CONTAINER_TAG.test(line));
    script[base.table].push(
      `:${base.chain} - [0:0]`,
      ...base.head.map((rule) => `-A ${base.chain} ${rule}`),
      ...kept,
      ...tail.map((rule) => `-A ${base.chain} ${rule}`),
    );
  }
  for (const jump of BASE_JUMPS) {
    if (saved.rules[jump.table]?.includes(`-A ${jump.chain} ${jump.spec}`)) continue;
    script[jump.table].push(`-I ${jump.chain} 1 ${jump.spec}`);
  }
  return script;
}

function portMatches(spans: PortSpan[] | undefined): string[] {
  if (!spans) return [''];
  const matches: string[] = [];
  // multiport takes at most 15 ports, a range counting as two.
  let chunk: string[] = [];
  let slots = 0;
  for (const span of spans) {
    const cost = span.first === span.last ? 1 : 2;
    if (slots + cost > 15) {
      matches.push(chunk.join(','));
      chunk = [];
      slots = 0;
    }
    chunk.push(span.first === span.last ? String(span.first) : `${span.first}:${span.last}`);
    slots += cost;
  }
  matches.push(chunk.join(','));
  return matches.map((list) => (list.includes(',') ? ` -m multiport --dports ${list}` : ` --dport ${list}`));
}

function protocolMatches(rule: SecurityGroupRule): string[] {
  if (rule.protocol === 'all') return [''];
  if (rule.protocol === 'icmp') {
    const type = rule.type ?? -1;
    const code = rule.code ?? -1;
    if (type < 0) return [' -p icmp'];
    return [` -p icmp --icmp-type ${type}${code >= 0 ? `/${code}` : ''}`];
  }
  return portMatches(rule.ports ? parsePorts(rule.ports) : undefined).map((ports) => ` -p ${rule.protocol}${ports}`);
}

/** A LOG prefix naming the container; iptables allows 29 characters. */
export function logPrefix(label: string): string {
  const clean = label.replace(/[^A-Za-z0-9._-]/g, '_');
  return `ds ${clean}`.slice(0, 27) + ': ';
}

/** The rules of one container's chain: each security group rule becomes ACCEPTs (and LOGs). */
export function securityGroupLines(chain: string, rules: SecurityGroupRule[], label: string): string[] {
  const lines: string[] = [];
  for (const rule of rules) {
    for (const destination of parseDestinations(rule.destination) ?? []) {
      const target = 'cidr' in destination ? ` -d ${destination.cidr}` : ` -m iprange --dst-range ${destination.range}`;
      for (const proto of protocolMatches(rule)) {
        const match = `-A ${chain}${target}${proto}`;
        if (rule.log) lines.push(`${match} -m limit --limit 2/sec --limit-burst 5 -j LOG --log-prefix "${logPrefix(label)}"`);
        lines.push(`${match} -j ACCEPT`);
      }
    }
  }
  return lines;
}

export function rulesDigest(rules: SecurityGroupRule[]): string {
  return createHash('sha256').update(JSON.stringify(rules)).digest('hex').slice(0, 16);
}

export interface ContainerRules extends JumpMatch {
  hostPorts: HostPort[];
  rules: SecurityGroupRule[];
  label: string;
}

/** Where a container's traffic is recognised: its own veth, and its address on it. */
export interface JumpMatch {
  short: string;
  ip: string;
}

function jumpSpec(c: JumpMatch): string {
  return `-s ${c.ip}/32 -i ${vethName(c.short)} -m comment --comment ${ruleTag(c.short)} -j ${sgChain(c.short)}`;
}

/** Anything from the container's veth that does not carry its address is dropped. */
function antispoofSpec(c: JumpMatch): string {
  return `-i ${vethName(c.short)} ! -s ${c.ip}/32 -m comment --comment ${ruleTag(c.short)} -j DROP`;
}

function dnatSpec(c: { short: string; ip: string }, port: HostPort): string {
  return `-p tcp -m tcp --dport ${port.host} -m comment --comment ${ruleTag(c.short)} -j DNAT --to-destination ${c.ip}:${port.container}`;
}

/** Everything a new container needs, in one transaction. */
export function attachScript(c: ContainerRules): RestoreScript {
  const chain = sgChain(c.short);
  return {
    raw: [`-A ${ANTISPOOF_CHAIN} ${antispoofSpec(c)}`],
    filter: [
      `:${chain} - [0:0]`,
      ...securityGroupLines(chain, c.rules, c.label),
      `-I ${FORWARD_CHAIN} ${CONTAINER_JUMP_POSITION} ${jumpSpec(c)}`,
    ],
    nat: c.hostPorts.map((port) => `-A ${PREROUTING_CHAIN} ${dnatSpec(c, port)}`),
  };
}

/** Rewrite containers' chains only; declaring a chain in a --noflush restore empties it first. */
export function rewriteScript(containers: ContainerRules[]): RestoreScript {
  return {
    raw: [],
    filter: containers.flatMap((c) => [`:${sgChain(c.short)} - [0:0]`, ...securityGroupLines(sgChain(c.short), c.rules, c.label)]),
    nat: [],
  };
}

/** The exact inverse of attachScript; fails as a whole if any part is already gone. */
export function detachScript(c: JumpMatch & { hostPorts: HostPort[] }): RestoreScript {
  return {
    raw: [`-D ${ANTISPOOF_CHAIN} ${antispoofSpec(c)}`],
    filter: [`-D ${FORWARD_CHAIN} ${jumpSpec(c)}`, `-F ${sgChain(c.short)}`, `-X ${sgChain(c.short)}`],
    nat: c.hostPorts.map((port) => `-D ${PREROUTING_CHAIN} ${dnatSpec(c, port)}`),
  };
}

/** Removal of whatever is left for `shorts`, found in iptables-save output. */
export function leftoverScript(saved: SavedTables, shorts: Set<string>): RestoreScript {
  const script = emptyScript();
  for (const table of TABLES) {
    for (const line of saved.rules[table] ?? []) {
      const tag = taggedShort(line);
      if (tag && shorts.has(tag)) script[table].push(line.replace(/^-A /, '-D '));
    }
    for (const chain of saved.chains[table] ?? []) {
      const short = CHAIN_PATTERN.exec(chain)?.[1];
      if (short && shorts.has(short)) script[table].push(`-F ${chain}`, `-X ${chain}`);
    }
  }
  return script;
}
