/** Content of the container's /etc/hosts. */
export function hostsFileContent(ip: string, hostname: string): string {
  return [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    `${ip}\t${hostname}`,
    '',
  ].join('\n');
}

export interface ResolvConf {
  content: string;
  warnings: string[];
}

function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address === '0.0.0.0';
}

/**
 * The container's /etc/resolv.conf from the host's: loopback nameservers (systemd-resolved,
 * dnsmasq on 127.0.0.53) cannot be reached from a container, so they are dropped and said so.
 */
export function resolvConfContent(hostResolvConf: string): ResolvConf {
  const kept: string[] = [];
  const dropped: string[] = [];
  for (const line of hostResolvConf.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields[0] === 'nameserver' && fields[1]) {
      (isLoopback(fields[1]) ? dropped : kept).push(line.trim());
    } else if (fields[0] === 'search' || fields[0] === 'domain' || fields[0] === 'options') {
      kept.push(line.trim());
    }
  }
  const warnings: string[] = [];
  const hasNameserver = kept.some((line) => line.startsWith('nameserver'));
  if (!hasNameserver) {
    const why = dropped.length
      ? `the host's nameservers (${dropped.map((line) => line.split(/\s+/)[1]).join(', ')}) are loopback addresses a container cannot reach`
      : 'the host has no nameserver';
    warnings.push(`no nameserver for the container: ${why}; names will not resolve inside it`);
    kept.unshift(`# dropship: ${why}`);
  }
  return { content: kept.join('\n') + '\n', warnings };
}
