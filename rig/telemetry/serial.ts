// A line link: the readline parser over a byte stream. A board's ST-LINK virtual COM port
// (/dev/ttyACM0, or a pseudo-terminal) is opened through node-serialport; QEMU's UART is a unix
// socket (rig/deploy/qemu.ts). The same framing and the same line queue serve both.
import { createConnection, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
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

/** What a line link needs of its byte stream. */
interface ByteStream {
  stream: Duplex;
  /** Names the stream in errors. */
  name: string;
  isOpen(): boolean;
  /** Calls back once the bytes written have left (a serial port's tcdrain). */
  drain(settle: (err: Error | null | undefined) => void): void;
  close(): Promise<void>;
}

// serialport and its parser are imported when a link opens, not with the command line: a rig run's
// start-up is part of every warm re-run's time.
async function lineLink({ stream, name, isOpen, drain, close }: ByteStream): Promise<SerialLink> {
  const { ReadlineParser } = await import('@serialport/parser-readline');
  const parser = stream.pipe(new ReadlineParser({ delimiter: '\n', encoding: 'latin1' }));
  stream.on('error', (error) => parser.emit('error', error));
  stream.on('close', () => parser.emit('close'));
  return {
    lines: lineQueue(parser),
    // Settles also when the stream closes first (the far end exited): serialport then drops the
    // pending write's callback, and an await on it would never return.
    write: (text) =>
      new Promise<void>((resolve, reject) => {
        if (!isOpen()) return reject(new Error(`${name} is closed`));
        const onClose = () => reject(new Error(`${name} closed during the write`));
        stream.once('close', onClose);
        const settle = (err: Error | null | undefined) => {
          stream.off('close', onClose);
          if (err) reject(err);
          else resolve();
        };
        stream.write(text, 'latin1', (err) => (err ? settle(err) : drain(settle)));
      }),
    close,
  };
}

export async function openSerialLink(path: string, baudRate = BAUD_RATE): Promise<SerialLink> {
  const { SerialPort } = await import('serialport');
  const port = new SerialPort({ path, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  return lineLink({
    stream: port,
    name: path,
    isOpen: () => port.isOpen,
    drain: (settle) => port.drain(settle),
    close: () =>
      new Promise<void>((resolve) => {
        if (!port.isOpen) return resolve();
        port.close(() => resolve());
      }),
  });
}

/** A link over a unix socket another process listens on; a socket's write callback comes once the kernel has the bytes. */
export async function openSocketLink(path: string): Promise<SerialLink> {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = createConnection(path);
    s.once('error', reject);
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
  });
  return lineLink({
    stream: socket,
    name: path,
    isOpen: () => !socket.destroyed,
    drain: (settle) => settle(null),
    close: () => {
      socket.destroy();
      return Promise.resolve();
    },
  });
}
