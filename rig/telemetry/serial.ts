// A serial line link: node-serialport with the readline parser. The same code opens an ST-LINK
// virtual COM port (/dev/ttyACM0) and QEMU's pseudo-terminal (/dev/pts/N).
import { SerialPort } from 'serialport';
import { ReadlineParser } from '@serialport/parser-readline';
import type { LineLink } from './session.js';

export const BAUD_RATE = 115200;

export interface SerialLink extends LineLink {
  close(): Promise<void>;
}

export async function openSerialLink(path: string, baudRate = BAUD_RATE): Promise<SerialLink> {
  const port = new SerialPort({ path, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  const parser = port.pipe(new ReadlineParser({ delimiter: '\n', encoding: 'latin1' }));
  const lines = (parser as AsyncIterable<string>)[Symbol.asyncIterator]();
  return {
    lines,
    write: (text) =>
      new Promise<void>((resolve, reject) => {
        port.write(text, 'latin1', (err) => (err ? reject(err) : port.drain((e) => (e ? reject(e) : resolve()))));
      }),
    close: () =>
      new Promise<void>((resolve) => {
        if (!port.isOpen) return resolve();
        port.close(() => resolve());
      }),
  };
}
