/**
 * A foreground container (a task with ports) is running before its veth can be plugged in (it
 * needs the init's pid), so the command first waits, up to 5 s, for the default route that comes
 * last: its first connection must not race the setup. Needs a shell in the image. A monitored
 * container needs none of this: its network is plugged in before its process starts.
 */
export function awaitingNetwork(args: string[]): string[] {
  const wait = 'n=0; while ! grep -q "^eth0\t00000000" /proc/net/route && [ $n -lt 500 ]; do sleep 0.01; n=$((n+1)); done; exec "$@"';
  return ['/bin/sh', '-c', wait, 'dropship-await-network', ...args];
}
