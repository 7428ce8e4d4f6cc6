// rig doctor: every tool rig needs, its version, and how to install what is missing.
import type { Argv } from 'yargs';
import { checkTools } from '../proc/tools.js';
import { renderTable } from './table.js';

export function doctorOptions<T>(y: Argv<T>) {
  return y.option('json', { type: 'boolean', default: false });
}

export async function doctorCommand(args: { json: boolean }): Promise<number> {
  const results = await checkTools();
  const missingRequired = results.filter((r) => !r.ok && r.required);
  if (args.json) {
    process.stdout.write(JSON.stringify(results, null, 2) + '\n');
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
