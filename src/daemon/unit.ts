export interface UnitOptions {
  /** The store ($DROPSHIP_HOME) the daemon serves. */
  home: string;
  /** The node binary and the daemon's entry module, as absolute paths. */
  node: string;
  entry: string;
  /** Flags node needs to load the entry (tsx in a source checkout); none for an installed dropship. */
  nodeArgs?: string[];
  /** PATH for runc, conmon, iptables, ip. */
  path?: string;
}

function quote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `"${arg.replace(/(["\\$`])/g, '\\$1')}"`;
}

/**
 * A systemd unit that starts the store's daemon at boot; it then brings every started app back.
 * KillMode=process: stopping or restarting the unit signals the daemon only. Each instance's
 * conmon is in the unit's cgroup (the daemon's child before it double-forked), and the default
 * (control-group) would kill every app with the daemon.
 */
export function daemonUnit(options: UnitOptions): string {
  const exec = [options.node, ...(options.nodeArgs ?? []), options.entry].map(quote).join(' ');
  return [
    '[Unit]',
    `Description=dropship daemon for the store ${options.home}`,
    'After=network-online.target local-fs.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `Environment=${quote(`DROPSHIP_HOME=${options.home}`)}`,
    `Environment=${quote(`PATH=${options.path ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'}`)}`,
    `ExecStart=${exec}`,
    'KillMode=process',
    'Restart=on-failure',
    'RestartSec=2',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}
