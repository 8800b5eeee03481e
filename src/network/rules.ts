import { DropshipError } from '../errors.js';
import { parseCidr, parseIp } from './ipv4.js';
import type { Protocol, SecurityGroupRule } from './types.js';

const PROTOCOLS: Protocol[] = ['tcp', 'udp', 'icmp', 'all'];
const FIELDS = ['protocol', 'destination', 'ports', 'type', 'code', 'log', 'description'];
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** A destination entry resolved to what iptables needs: a CIDR (`-d`) or a range (`iprange`). */
export type Destination = { cidr: string } | { range: string; first: number; last: number };

export interface PortSpan {
  first: number;
  last: number;
}

function invalid(index: number, field: string, message: string, hint: string): DropshipError {
  return new DropshipError('INVALID_SECURITY_GROUP_RULE', `rule ${index + 1}: ${field}: ${message}`, {
    hint,
    details: { rule: index + 1, field },
  });
}

export function parseDestinations(text: string): Destination[] | undefined {
  const entries = text.split(',').map((entry) => entry.trim());
  const result: Destination[] = [];
  for (const entry of entries) {
    if (entry.includes('/')) {
      const cidr = parseCidr(entry);
      if (!cidr) return undefined;
      result.push({ cidr: entry });
    } else if (entry.includes('-')) {
      const [from, to, ...rest] = entry.split('-').map((part) => part.trim());
      const first = parseIp(from ?? '');
      const last = parseIp(to ?? '');
      if (rest.length || first === undefined || last === undefined || first > last) return undefined;
      result.push({ range: `${from}-${to}`, first, last });
    } else {
      if (parseIp(entry) === undefined) return undefined;
      result.push({ cidr: `${entry}/32` });
    }
  }
  return result;
}

function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
}

/** `"443"`, `"80,443"`, `"1000-2000"` (and lists mixing both); undefined when malformed. */
export function parsePorts(text: string): PortSpan[] | undefined {
  const spans: PortSpan[] = [];
  for (const item of text.split(',').map((part) => part.trim())) {
    const bounds = item.split('-').map((part) => part.trim());
    if (bounds.length > 2) return undefined;
    const first = parsePort(bounds[0]!);
    const last = bounds.length === 2 ? parsePort(bounds[1]!) : first;
    if (first === undefined || last === undefined || first > last) return undefined;
    spans.push({ first, last });
  }
  return spans;
}

function badPortItem(text: string): string {
  return text.split(',').map((part) => part.trim()).find((item) => parsePorts(item) === undefined) ?? text;
}

function icmpNumber(value: unknown, index: number, field: 'type' | 'code'): number {
  if (!Number.isInteger(value) || (value as number) < -1 || (value as number) > 255) {
    throw invalid(index, field, `${JSON.stringify(value)} is not an ICMP ${field}`, `write an integer 0-255, or -1 for any ${field}`);
  }
  return value as number;
}

/** Validate one rule as a user wrote it; the error names the rule (1-based) and the field. */
export function parseRule(raw: unknown, index: number): SecurityGroupRule {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw invalid(index, 'rule', 'is not an object', 'each rule is an object like {"protocol":"tcp","destination":"10.0.0.0/8","ports":"443"}');
  }
  const record = raw as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!FIELDS.includes(key)) {
      const near = key === 'port' ? " (did you mean 'ports'?)" : '';
      throw invalid(index, key, `is not a rule field${near}`, `rule fields are ${FIELDS.join(', ')}`);
    }
  }
  const protocol = record.protocol;
  if (typeof protocol !== 'string' || !PROTOCOLS.includes(protocol as Protocol)) {
    throw invalid(index, 'protocol', `${JSON.stringify(protocol)} is not a protocol`, `use one of ${PROTOCOLS.join(', ')}`);
  }
  const destination = record.destination;
  if (typeof destination !== 'string' || !parseDestinations(destination)) {
    throw invalid(
      index,
      'destination',
      `${JSON.stringify(destination)} is not an IP, CIDR or range`,
      'write 10.0.0.1, 10.0.0.0/8 or 10.0.0.1-10.0.0.9 (several separated by commas)',
    );
  }
  const rule: SecurityGroupRule = { protocol: protocol as Protocol, destination };
  if (record.ports !== undefined) {
    if (protocol !== 'tcp' && protocol !== 'udp') {
      throw invalid(index, 'ports', `only tcp and udp rules have ports, this one is ${protocol}`, 'remove ports or change the protocol');
    }
    if (typeof record.ports !== 'string' || !parsePorts(record.ports)) {
      const shown = typeof record.ports === 'string' ? `'${badPortItem(record.ports)}'` : JSON.stringify(record.ports);
      throw invalid(index, 'ports', `${shown} is not a port or range`, 'write "443", "80,443" or "1000-2000" (a string, ports 1-65535)');
    }
    rule.ports = record.ports;
  }
  for (const field of ['type', 'code'] as const) {
    if (record[field] === undefined) continue;
    if (protocol !== 'icmp') {
      throw invalid(index, field, `only icmp rules have a ${field}, this one is ${protocol}`, `remove ${field} or use protocol icmp`);
    }
    rule[field] = icmpNumber(record[field], index, field);
  }
  if (rule.code !== undefined && rule.code !== -1 && (rule.type === undefined || rule.type === -1)) {
    throw invalid(index, 'code', 'a code needs a type', 'set type too, e.g. {"type": 3, "code": 4}');
  }
  if (record.log !== undefined) {
    if (typeof record.log !== 'boolean') throw invalid(index, 'log', `${JSON.stringify(record.log)} is not true or false`, 'write "log": true');
    rule.log = record.log;
  }
  if (record.description !== undefined) {
    if (typeof record.description !== 'string') {
      throw invalid(index, 'description', 'is not a string', 'write a short text');
    }
    rule.description = record.description;
  }
  return rule;
}

/** Validate a whole group: a JSON list of rules, as `cf create-security-group` takes it. */
export function parseRules(raw: unknown): SecurityGroupRule[] {
  if (!Array.isArray(raw)) {
    throw new DropshipError('INVALID_SECURITY_GROUP', 'security group rules: expected a JSON list of rules', {
      hint: 'write [{"protocol":"tcp","destination":"10.0.0.0/8","ports":"443"}]',
    });
  }
  return raw.map((rule, index) => parseRule(rule, index));
}

export function checkGroupName(name: string): string {
  if (!NAME.test(name)) {
    throw new DropshipError('INVALID_SECURITY_GROUP_NAME', `security group name '${name}' is not valid`, {
      hint: 'use letters, digits, dot, dash and underscore (up to 63), starting with a letter or digit',
    });
  }
  return name;
}
