// Physical boards. Until flashing through openocd exists, a hardware run stops before building
// and says what it looked for and how to emulate instead; it never falls back to emulation.
import { SerialPort } from 'serialport';
import type { Board } from '../config/board.js';
import { UserError } from '../util/errors.js';

export interface ProbePort {
  path: string;
  vendorId: string;
  productId: string;
  serialNumber: string | null;
}

/** ST-LINK virtual COM ports attached now, matched on the board file's USB ids. */
export async function findProbePorts(board: Board): Promise<{ ports: ProbePort[]; listError: string | null }> {
  let all: Awaited<ReturnType<typeof SerialPort.list>>;
  try {
    all = await SerialPort.list();
  } catch (error) {
    return { ports: [], listError: (error as Error).message };
  }
  const ports = all
    .filter((p) => p.vendorId?.toLowerCase() === board.probe.vendorId && board.probe.productIds.includes(p.productId?.toLowerCase() ?? ''))
    .map((p) => ({ path: p.path, vendorId: p.vendorId!, productId: p.productId!, serialNumber: p.serialNumber ?? null }));
  return { ports, listError: null };
}

export async function requireHardware(board: Board): Promise<never> {
  const { ports, listError } = await findProbePorts(board);
  const ids = board.probe.productIds.map((p) => `${board.probe.vendorId}:${p}`).join(', ');
  const boards = Object.values(board.variants).map((v) => v.board).join(' or ');
  const emulate = `To run on the emulated ${board.id} instead: rig bench --board ${board.id} --emulate`;
  if (ports.length === 0) {
    const why = listError === null ? 'none is attached' : `listing serial ports failed: ${listError}`;
    throw new UserError(
      `No ST-LINK probe found for ${board.id} (${boards}): looked for USB serial ports with ids ${ids}; ${why}.\n${emulate}`,
    );
  }
  throw new UserError(
    `Found ${ports.map((p) => `${p.path} (${p.vendorId}:${p.productId}${p.serialNumber ? `, serial ${p.serialNumber}` : ''})`).join(', ')}, ` +
      `but this version of rig cannot flash boards yet (openocd deployment is not implemented).\n${emulate}`,
  );
}
