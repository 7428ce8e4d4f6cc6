// rig doctor: every tool rig needs, its version, and how to install what is missing.
import { runTool } from '../proc/run.js';
import { errorMessage } from '../util/errors.js';
import { renderTable } from './table.js';

interface Check {
  name: string;
  purpose: string;
  required: boolean;
  install: string;
  probe(): Promise<string>;
}

const APT = 'apt-get install --no-install-recommends';

async function toolVersion(file: string, args: string[]): Promise<string> {
  const r = await runTool(file, args, { timeoutMs: 10_000 });
  const first = (r.stdout + r.stderr).split('\n').find((l) => l.trim() !== '');
  if (r.exitCode !== 0 && first === undefined) throw new Error(`exit ${r.exitCode}`);
  return first?.trim() ?? 'unknown';
}

const CHECKS: Check[] = [
  { name: 'arm-none-eabi-gcc', purpose: 'compiles the firmware', required: true, install: `${APT} gcc-arm-none-eabi libnewlib-arm-none-eabi`, probe: () => toolVersion('arm-none-eabi-gcc', ['--version']) },
  {
    name: 'newlib (nano)',
    purpose: 'C library for the firmware',
    required: true,
    install: `${APT} libnewlib-arm-none-eabi`,
    probe: async () => {
      const r = await runTool('arm-none-eabi-gcc', ['--specs=nano.specs', '-print-file-name=libc_nano.a'], { timeoutMs: 10_000 });
      const path = r.stdout.trim();
      if (!path.startsWith('/')) throw new Error('libc_nano.a not found');
      return path;
    },
  },
  { name: 'qemu-system-arm', purpose: 'runs the emulated boards', required: true, install: `${APT} qemu-system-arm`, probe: () => toolVersion('qemu-system-arm', ['--version']) },
  { name: 'openocd', purpose: 'flashes physical boards', required: false, install: `${APT} openocd`, probe: () => toolVersion('openocd', ['--version']) },
  { name: 'udevadm', purpose: 'lets serialport list USB probes', required: false, install: `${APT} udev`, probe: () => toolVersion('udevadm', ['--version']) },
  {
    name: 'better-sqlite3',
    purpose: 'stores results',
    required: true,
    install: 'npm ci',
    probe: async () => {
      const { default: Database } = await import('better-sqlite3');
      const db = new Database(':memory:');
      const v = (db.prepare('select sqlite_version() as v').get() as { v: string }).v;
      db.close();
      return `SQLite ${v}`;
    },
  },
  {
    name: 'serialport',
    purpose: 'reads telemetry',
    required: true,
    install: 'npm ci',
    probe: async () => {
      await import('serialport');
      return 'loaded';
    },
  },
];

export async function doctorCommand(json: boolean): Promise<number> {
  const results = await Promise.all(
    CHECKS.map(async (c) => {
      try {
        return { ...c, ok: true, version: await c.probe() };
      } catch (error) {
        return { ...c, ok: false, version: errorMessage(error).split('\n')[0] ?? '' };
      }
    }),
  );
  const missingRequired = results.filter((r) => !r.ok && r.required);
  if (json) {
    process.stdout.write(JSON.stringify(results.map(({ name, purpose, required, ok, version, install }) => ({ name, purpose, required, ok, version, install })), null, 2) + '\n');
  } else {
    process.stdout.write(
      renderTable(
        ['tool', 'status', 'version', 'needed for'],
        results.map((r) => [r.name, r.ok ? 'ok' : r.required ? 'MISSING' : 'missing (optional)', r.ok ? r.version : `install: ${r.install}`, r.purpose]),
      ) + '\n',
    );
    process.stdout.write(
      `node ${process.version}\n` +
        (missingRequired.length === 0 ? 'Everything rig needs is installed.\n' : 'Install what is missing with ./scripts/setup.sh, or the commands above.\n'),
    );
  }
  return missingRequired.length === 0 ? 0 : 1;
}
