// The boards rig knows and the probes attached now: the board files, the lab inventory (which
// board is which, and whether it is attached) and the ST-LINK probes with their serial ports.
import { listBoardIds, loadBoard, type Board } from '../config/board.js';
import { loadLab, type LabEntry } from '../config/lab.js';
import { findProbePorts, type ProbePort } from './hardware.js';

export interface BoardInventory {
  boards: Board[];
  /** The lab's boards, each with whether its probe or port is attached. */
  lab: (LabEntry & { attached: boolean })[];
  /** Each attached probe once, with the board files whose USB ids it matches. */
  probes: (ProbePort & { boards: string[] })[];
  /** Why the serial ports could not be listed, if they could not. */
  listError: string | null;
}

export async function boardInventory(labFile?: string): Promise<BoardInventory> {
  const boards = await Promise.all((await listBoardIds()).map((id) => loadBoard(id)));
  const lab = await loadLab(labFile);
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
  return { boards, lab: lab.map((e) => ({ ...e, attached: attached(e) })), probes, listError };
}
