import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { lookup as dnsLookupAll } from 'node:dns/promises';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { DropshipError } from '../errors.js';

// A buildpack URL in an app's own files (manifest.yml) is chosen by whoever wrote the app, not by
// the operator: fetched by this host, it could reach the host's loopback services, the cloud
// metadata address or the private network (SSRF). Such URLs may only connect to public addresses,
// judged on the address each connection actually uses, so a redirect or a name that resolves
// differently the second time (DNS rebinding) changes nothing.

const DENIED = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15],
  ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) DENIED.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128], ['::1', 128], ['100::', 64], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) DENIED.addSubnet(net, prefix, 'ipv6');

/** The eight 16-bit words of a canonical (URL-normalised, so no dotted tail) IPv6 address. */
function words(ip: string): number[] {
  const [head = '', tail] = ip.split('::');
  const part = (s: string) => (s ? s.split(':').map((w) => parseInt(w, 16)) : []);
  const left = part(head);
  const right = tail === undefined ? [] : part(tail);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;

/** IPv4 carried inside IPv6 (mapped, compatible, NAT64, 6to4): judged as the IPv4 it reaches. */
function embeddedV4(w: number[]): string | undefined {
  if (w.slice(0, 5).every((x) => x === 0) && (w[5] === 0xffff || w[5] === 0)) return v4(w[6]!, w[7]!);
  if (w[0] === 0x64 && w[1] === 0xff9b && w.slice(2, 6).every((x) => x === 0)) return v4(w[6]!, w[7]!);
  if (w[0] === 0x2002) return v4(w[1]!, w[2]!);
  return undefined;
}

function canonicalV6(ip: string): string | undefined {
  try {
    return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}

/** True only for a unicast address on the public internet (anything unparsable is not). */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !DENIED.check(address, 'ipv4');
  if (family !== 6) return false;
  const canonical = canonicalV6(address);
  if (canonical === undefined) return false;
  const inner = embeddedV4(words(canonical));
  if (inner !== undefined) return isPublicAddress(inner);
  return !DENIED.check(canonical, 'ipv6');
}

/** A URL whose host is a literal address that is not public: that address (canonical), else undefined. */
export function refusedUrlHost(url: URL, allowed: (address: string) => boolean = isPublicAddress): string | undefined {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (isIP(host) === 0) return undefined;
  return allowed(host) ? undefined : host;
}

/** The operator's override: `DROPSHIP_ALLOW_PRIVATE_BUILDPACK_URLS=1` (or push's `--allow-private-buildpack-urls`). */
export function privateBuildpackUrlsAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.DROPSHIP_ALLOW_PRIVATE_BUILDPACK_URLS === '1';
}

export function privateUrlError(url: string, address: string, from: string): DropshipError {
  return new DropshipError('BUILDPACK_URL_PRIVATE', `buildpack URL ${url} (from ${from}) reaches ${address}, a loopback, link-local or private address; URLs from an app's own files may only reach public addresses`, {
    hint: 'if this host should fetch it, the operator sets DROPSHIP_ALLOW_PRIVATE_BUILDPACK_URLS=1 or passes --allow-private-buildpack-urls (or gives it with -b)',
  });
}

/**
 * What fetching an app-supplied URL needs: a check of the URL (and each redirect's) literal host,
 * a check of what a name resolves to now, and a DNS lookup for the connection itself that only
 * ever hands out allowed addresses. `refused` holds the first refusal, for the caller to throw.
 */
export class UrlGuard {
  refused?: DropshipError;

  constructor(private readonly from: string, private readonly allowed: (address: string) => boolean = isPublicAddress) {}

  /** Throws unless `url`'s host is, or resolves to, an allowed address. */
  async check(url: string): Promise<void> {
    const parsed = new URL(url);
    const literal = refusedUrlHost(parsed, this.allowed);
    if (literal !== undefined) throw this.refuse(url, literal);
    const host = parsed.hostname;
    if (isIP(host.replace(/^\[|\]$/g, '')) !== 0) return;
    const addresses = await dnsLookupAll(host, { all: true }).catch(() => [] as LookupAddress[]);
    const denied = addresses.find((a) => !this.allowed(a.address));
    if (denied && !addresses.some((a) => this.allowed(a.address))) throw this.refuse(url, denied.address);
  }

  refuse(url: string, address: string): DropshipError {
    this.refused ??= privateUrlError(url, address, this.from);
    return this.refused;
  }

  /** For got's `dnsLookup`: the addresses the socket may connect to, denied ones removed. */
  lookup(url: string): LookupFunction {
    return (hostname, options, callback) => {
      dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
        if (error) return callback(error, '', 0);
        const ok = addresses.filter((a) => this.allowed(a.address));
        if (ok.length === 0) return callback(this.refuse(url, addresses[0]?.address ?? hostname) as NodeJS.ErrnoException, '', 0);
        if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, ok);
        return callback(null, ok[0]!.address, ok[0]!.family);
      });
    };
  }

  /** For got's `beforeRedirect` hook: a redirect to a literal denied address is refused before it is followed. */
  redirect(): (options: { url?: URL | string }) => void {
    return (options) => {
      const next = options.url === undefined ? undefined : new URL(String(options.url));
      const literal = next && refusedUrlHost(next, this.allowed);
      if (next && literal !== undefined) throw this.refuse(next.toString(), literal);
    };
  }
}
