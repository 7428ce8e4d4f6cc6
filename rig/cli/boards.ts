// rig boards: the board files, the lab inventory, and the ST-LINK probes attached now.
import type { Argv } from 'yargs';
import type { Board } from '../config/board.js';
import { describePort } from '../deploy/hardware.js';
import { DEFAULTS, shownPath } from '../defaults.js';
import { boardInventory } from '../deploy/inventory.js';
import { renderTable } from './table.js';

export function boardsOptions<T>(y: Argv<T>) {
  return y
    .option('lab', { type: 'string', describe: `lab inventory (default ${shownPath(DEFAULTS.lab)}, if present)` })
    .option('json', { type: 'boolean', default: false });
}

export async function boardsCommand(args: { json: boolean; lab?: string | undefined }): Promise<number> {
  const { boards, lab: inventory, probes, listError } = await boardInventory(args.lab);
  if (args.json) {
    process.stdout.write(
      JSON.stringify(
        {
          boards: boards.map((b) => ({
            id: b.id,
            name: b.name,
            variants: Object.keys(b.variants),
            arenaRams: Object.keys(b.arenaRams),
            defaultArenaRam: b.defaultArenaRam,
            file: b.file,
          })),
          lab: inventory,
          probes,
          listError,
        },
        null,
        2,
      ) + '\n',
    );
    return 0;
  }
  const arenaRams = (b: Board) =>
    Object.keys(b.arenaRams)
      .map((a) => (a === b.defaultArenaRam ? `${a} (default)` : a))
      .join(', ');
  const rows = boards.flatMap((b) =>
    Object.entries(b.variants).map(([v, d]) => [b.id, v, d.board, d.openocdConfig, `${d.uart.instance} ${d.uart.tx}/${d.uart.rx}`, arenaRams(b)]),
  );
  const lines = [renderTable(['board', 'variant', 'hardware', 'openocd config', 'telemetry UART', '--arena-ram'], rows), ''];
  if (inventory.length > 0) {
    const labRows = inventory.map((e) => [e.name, e.board, e.variant ?? '(default)', e.probe ?? '-', e.port ?? '-', e.attached ? 'attached' : 'not found']);
    lines.push(renderTable(['lab board', 'board', 'variant', 'probe', 'port', 'now'], labRows), '');
  }
  if (listError !== null) lines.push(`Listing serial ports failed: ${listError}`);
  else if (probes.length === 0) {
    const ids = [...new Set(boards.flatMap((b) => b.probe.productIds.map((p) => `${b.probe.vendorId}:${p}`)))].join(', ');
    lines.push(`No ST-LINK probe is attached (looked for USB serial ports with ids ${ids}). rig bench --emulate runs without one.`);
  } else {
    lines.push('Attached ST-LINK probes:', ...probes.map((p) => `  ${describePort(p)}: rig bench --board ${p.boards[0]} --probe ${p.serialNumber ?? '?'}`));
  }
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
