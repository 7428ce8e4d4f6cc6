// A serial line link: node-serialport with the readline parser. The same code opens an ST-LINK
// virtual COM port (/dev/ttyACM0) and QEMU's pseudo-terminal (/dev/pts/N).
import { SerialPort } from 'serialport';
import { ReadlineParser } from '@serialport/parser-readline';
import type { LineLink } from './session.js';

export const BAUD_RATE = 115200;

export interface SerialLink extends LineLink {
  close(): Promise<void>;
}

/**
 * Lines as an async iterator, one 'data' event each. (Iterating the parser stream itself would
 * glue lines together: its readable side is a byte stream, so lines buffered while the consumer
 * is busy come out of read() concatenated, their delimiters already gone.)
 */
export function lineQueue(source: NodeJS.EventEmitter): AsyncIterator<string> {
  const lines: string[] = [];
  const waiting: { resolve: (r: IteratorResult<string>) => void; reject: (e: unknown) => void }[] = [];
  let ended = false;
  let failure: unknown;
  source.on('data', (line: string) => {
    const w = waiting.shift();
    if (w) w.resolve({ value: line, done: false });
    else lines.push(line);
  });
  const finish = (error?: unknown) => {
    if (ended) return;
    ended = true;
    failure = error;
    for (const w of waiting.splice(0)) {
      if (error === undefined) w.resolve({ value: undefined, done: true });
      else w.reject(error);
    }
  };
  source.on('end', () => finish());
  source.on('close', () => finish());
  source.on('error', (error: unknown) => finish(error));
  return {
    next() {
      const line = lines.shift();
      if (line !== undefined) return Promise.resolve({ value: line, done: false });
      if (ended) return failure === undefined ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(failure);
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
  };
}

export async function openSerialLink(path: string, baudRate = BAUD_RATE): Promise<SerialLink> {
  const port = new SerialPort({ path, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  const parser = port.pipe(new ReadlineParser({ delimiter: '\n', encoding: 'latin1' }));
  port.on('error', (error) => parser.emit('error', error));
  port.on('close', () => parser.emit('close'));
  return {
    lines: lineQueue(parser),
    // Settles also when the port closes first (the far end exited): serialport then drops the
    // pending write's callback, and an await on it would never return.
    write: (text) =>
      new Promise<void>((resolve, reject) => {
        if (!port.isOpen) return reject(new Error(`${path} is closed`));
        const onClose = () => reject(new Error(`${path} closed during the write`));
        port.once('close', onClose);
        const settle = (err: Error | null | undefined) => {
          port.off('close', onClose);
          if (err) reject(err);
          else resolve();
        };
        port.write(text, 'latin1', (err) => (err ? settle(err) : port.drain(settle)));
      }),
    close: () =>
      new Promise<void>((resolve) => {
        if (!port.isOpen) return resolve();
        port.close(() => resolve());
      }),
  };
}
