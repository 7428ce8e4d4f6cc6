// Human progress goes to stderr; machine output (--json) alone goes to stdout.
// DEBUG=rig:* (or rig:qemu, rig:telemetry, ...) enables debug channels.
const debugPatterns = (process.env['DEBUG'] ?? '')
  .split(',')
  .map((p) => p.trim())
  .filter((p) => p !== '')
  .map((p) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`));

export function createDebug(channel: string): (message: string) => void {
  const name = `rig:${channel}`;
  if (!debugPatterns.some((re) => re.test(name))) return () => {};
  return (message) => process.stderr.write(`${name} ${message}\n`);
}

export function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}
