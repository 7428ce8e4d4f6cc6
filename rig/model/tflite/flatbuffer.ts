// Checked reads of a flatbuffer's tables through the flatbuffers package's ByteBuffer. The
// package's own accessors trust every offset (a truncated file reads as zeros); here every offset
// is checked against the file's length before it is followed, so a damaged file is an error that
// says where. A field is named by its slot: its index in the schema's table, unions counting two.
import { ByteBuffer } from 'flatbuffers';
import { TfliteError } from './errors.js';

export class Table {
  private readonly vtable: number;
  private readonly vtableSize: number;

  constructor(
    readonly bb: ByteBuffer,
    readonly pos: number,
    /** What the table is, for errors: `subgraphs[0].tensors[12]`. */
    readonly what: string,
  ) {
    need(bb, pos, 4, what);
    this.vtable = pos - bb.readInt32(pos);
    need(bb, this.vtable, 4, `${what} (its vtable)`);
    this.vtableSize = bb.readUint16(this.vtable);
    need(bb, this.vtable, this.vtableSize, `${what} (its vtable)`);
  }

  /** The field's position in the file, or 0 when the table does not hold it. */
  private field(slot: number, size: number): number {
    const entry = 4 + 2 * slot;
    if (entry >= this.vtableSize) return 0;
    const offset = this.bb.readUint16(this.vtable + entry);
    if (offset === 0) return 0;
    need(this.bb, this.pos + offset, size, `${this.what} field ${slot}`);
    return this.pos + offset;
  }

  int8(slot: number, fallback = 0): number {
    const at = this.field(slot, 1);
    return at === 0 ? fallback : this.bb.readInt8(at);
  }

  uint8(slot: number, fallback = 0): number {
    const at = this.field(slot, 1);
    return at === 0 ? fallback : this.bb.readUint8(at);
  }

  int32(slot: number, fallback = 0): number {
    const at = this.field(slot, 4);
    return at === 0 ? fallback : this.bb.readInt32(at);
  }

  uint32(slot: number, fallback = 0): number {
    const at = this.field(slot, 4);
    return at === 0 ? fallback : this.bb.readUint32(at);
  }

  float32(slot: number, fallback = 0): number {
    const at = this.field(slot, 4);
    return at === 0 ? fallback : this.bb.readFloat32(at);
  }

  uint64(slot: number): bigint {
    const at = this.field(slot, 8);
    return at === 0 ? 0n : this.bb.readUint64(at);
  }

  /** The position a uoffset field points to, checked; 0 when absent. */
  private target(slot: number, name: string): number {
    const at = this.field(slot, 4);
    if (at === 0) return 0;
    const to = at + this.bb.readUint32(at);
    need(this.bb, to, 4, `${this.what}.${name}`);
    return to;
  }

  table(slot: number, name: string): Table | null {
    const at = this.target(slot, name);
    return at === 0 ? null : new Table(this.bb, at, `${this.what}.${name}`);
  }

  string(slot: number, name: string): string {
    const at = this.target(slot, name);
    if (at === 0) return '';
    const length = this.bb.readUint32(at);
    need(this.bb, at + 4, length, `${this.what}.${name}`);
    return new TextDecoder().decode(this.bb.bytes().subarray(at + 4, at + 4 + length));
  }

  /** A vector's first element's position and its length, elements of `size` bytes. */
  private vector(slot: number, name: string, size: number): [start: number, length: number] {
    const at = this.target(slot, name);
    if (at === 0) return [0, 0];
    const length = this.bb.readUint32(at);
    need(this.bb, at + 4, length * size, `${this.what}.${name}`);
    return [at + 4, length];
  }

  tables(slot: number, name: string): Table[] {
    const [start, length] = this.vector(slot, name, 4);
    return Array.from({ length }, (_, i) => {
      const at = start + 4 * i;
      const to = at + this.bb.readUint32(at);
      return new Table(this.bb, to, `${this.what}.${name}[${i}]`);
    });
  }

  int32s(slot: number, name: string): number[] {
    const [start, length] = this.vector(slot, name, 4);
    return Array.from({ length }, (_, i) => this.bb.readInt32(start + 4 * i));
  }

  float32s(slot: number, name: string): number[] {
    const [start, length] = this.vector(slot, name, 4);
    return Array.from({ length }, (_, i) => this.bb.readFloat32(start + 4 * i));
  }

  int64s(slot: number, name: string): bigint[] {
    const [start, length] = this.vector(slot, name, 8);
    return Array.from({ length }, (_, i) => this.bb.readInt64(start + 8 * i));
  }

  /** A [ubyte] vector as a view into the file. */
  bytes(slot: number, name: string): Uint8Array {
    const [start, length] = this.vector(slot, name, 1);
    return this.bb.bytes().subarray(start, start + length);
  }
}

/** Throws unless `size` bytes from `at` lie inside the file. */
export function need(bb: ByteBuffer, at: number, size: number, what: string): void {
  if (!(at >= 0 && size >= 0 && at + size <= bb.capacity())) {
    throw new TfliteError(`truncated or damaged file: ${what} points to bytes ${at}..${at + size} of a ${bb.capacity()}-byte file`);
  }
}

/** The root table of a flatbuffer whose file identifier is `identifier`. */
export function rootTable(bytes: Uint8Array, identifier: string, what: string): Table {
  const bb = new ByteBuffer(bytes);
  if (bytes.length < 8) throw new TfliteError(`not a TFLite file: ${bytes.length} bytes, too short for a flatbuffer`);
  if (!bb.__has_identifier(identifier)) {
    const found = [...bytes.subarray(4, 8)].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
    throw new TfliteError(`not a TFLite file: expected the file identifier "${identifier}" at bytes 4..8, found "${found}"`);
  }
  return new Table(bb, bb.readUint32(0), what);
}
