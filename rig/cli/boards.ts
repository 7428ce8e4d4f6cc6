// rig boards: the board files, and the ST-LINK probes attached now with their virtual COM ports.
import { listBoardIds, loadBoard } from '../config/board.js';
import { loadLab, type LabEntry } from '../config/lab.js';
import { describePort, findProbePorts, type ProbePort } from '../deploy/hardware.js';
import { renderTable } from './table.js';

export async function boardsCommand(args: { json: boolean; lab?: string | undefined }): Promise<number> {
  const boards = await Promise.all((await listBoardIds()).map((id) => loadBoard(id)));
  const lab = await loadLab(args.lab);
  const found = new Map<string, ProbePort & { boards: string[] }>();
  let listError: string | null = null;
  for (const board of boards) {
    const r = await findProbePorts(board);
    listError ??= r.listError;
    for (const p of r.ports) {
      const entry = found.get(p.path) ?? { ...p, boards: [] };
      entry.boards.push(board.id);
      found.set(p.path, entry);
    }
  }
  const probes = [...found.values()];
  const attached = (e: LabEntry) => probes.some((p) => (e.probe !== undefined && p.serialNumber === e.probe) || (e.port !== undefined && p.path === e.port));
  const inventory = lab.map((e) => ({ ...e, attached: attached(e) }));
  if (args.json) {
    process.stdout.write(JSON.stringify({ boards: boards.map((b) => ({ id: b.id, name: b.name, variants: Object.keys(b.variants), arenaRams: Object.keys(b.arenaRams), defaultArenaRam: b.defaultArenaRam, file: b.file })), lab: inventory, probes, listError }, null, 2) + '\n');
    return 0;
  }
  const arenaRams = (b: (typeof boards)[number]) => Object.keys(b.arenaRams).map((a) => (a === b.defaultArenaRam ? `${a} (default)` : a)).join(', ');
  const rows = boards.flatMap((b) => Object.entries(b.variants).map(([v, d]) => [b.id, v, d.board, d.openocdConfig, `${d.uart.instance} ${d.uart.tx}/${d.uart.rx}`, arenaRams(b)]));
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
