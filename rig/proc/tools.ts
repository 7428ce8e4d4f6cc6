// The tools and native modules rig needs, their versions, and how to install what is missing.
import { errorMessage } from '../util/errors.js';
import { runTool } from './run.js';

interface Tool {
  name: string;
  purpose: string;
  required: boolean;
  install: string;
  probe(): Promise<string>;
}

const APT = 'apt-get install --no-install-recommends';
const VERSION_TIMEOUT_MS = 10_000;

async function toolVersion(file: string, args: string[]): Promise<string> {
  const r = await runTool(file, args, { timeoutMs: VERSION_TIMEOUT_MS });
  const first = (r.stdout + r.stderr).split('\n').find((l) => l.trim() !== '');
  if (r.exitCode !== 0 && first === undefined) throw new Error(`exit ${r.exitCode}`);
  return first?.trim() ?? 'unknown';
}

const TOOLS: Tool[] = [
  {
    name: 'arm-none-eabi-gcc',
    purpose: 'compiles the firmware',
    required: true,
    install: `${APT} gcc-arm-none-eabi libnewlib-arm-none-eabi`,
    probe: () => toolVersion('arm-none-eabi-gcc', ['--version']),
  },
  {
    name: 'newlib (nano)',
    purpose: 'C library for the firmware',
    required: true,
    install: `${APT} libnewlib-arm-none-eabi`,
    probe: async () => {
      const r = await runTool('arm-none-eabi-gcc', ['--specs=nano.specs', '-print-file-name=libc_nano.a'], { timeoutMs: VERSION_TIMEOUT_MS });
      const path = r.stdout.trim();
      if (!path.startsWith('/')) throw new Error('libc_nano.a not found');
      return path;
    },
  },
  {
    name: 'qemu-system-arm',
    purpose: 'runs the emulated boards',
    required: true,
    install: `${APT} qemu-system-arm`,
    probe: () => toolVersion('qemu-system-arm', ['--version']),
  },
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

export interface ToolCheck {
  name: string;
  purpose: string;
  required: boolean;
  ok: boolean;
  /** The version found, or why it was not. */
  version: string;
  install: string;
}

export async function checkTools(): Promise<ToolCheck[]> {
  return Promise.all(
    TOOLS.map(async ({ name, purpose, required, install, probe }) => {
      try {
        return { name, purpose, required, ok: true, version: await probe(), install };
      } catch (error) {
        return { name, purpose, required, ok: false, version: errorMessage(error).split('\n')[0] ?? '', install };
      }
    }),
  );
}
