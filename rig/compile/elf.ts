// Sizes read from the linked ELF's section headers: what goes to flash and what sits in SRAM.
const SHF_ALLOC = 0x2;
const SHT_NOBITS = 8;

export interface ElfSection {
  name: string;
  type: number;
  flags: number;
  addr: number;
  size: number;
}

export function elfSections(elf: Uint8Array): ElfSection[] {
  const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  if (view.getUint32(0, false) !== 0x7f454c46) throw new Error('not an ELF file');
  if (elf[4] !== 1 || elf[5] !== 1) throw new Error('expected a 32-bit little-endian ELF');
  const shoff = view.getUint32(0x20, true);
  const shentsize = view.getUint16(0x2e, true);
  const shnum = view.getUint16(0x30, true);
  const shstrndx = view.getUint16(0x32, true);
  const header = (i: number) => {
    const o = shoff + i * shentsize;
    return {
      nameOff: view.getUint32(o, true),
      type: view.getUint32(o + 4, true),
      flags: view.getUint32(o + 8, true),
      addr: view.getUint32(o + 12, true),
      offset: view.getUint32(o + 16, true),
      size: view.getUint32(o + 20, true),
    };
  };
  const strtab = header(shstrndx);
  const name = (off: number) => {
    let end = strtab.offset + off;
    while (elf[end] !== 0) end++;
    return new TextDecoder().decode(elf.subarray(strtab.offset + off, end));
  };
  const sections: ElfSection[] = [];
  for (let i = 1; i < shnum; i++) {
    const h = header(i);
    sections.push({ name: name(h.nameOff), type: h.type, flags: h.flags, addr: h.addr, size: h.size });
  }
  return sections;
}

export interface ImageSizes {
  /** Bytes programmed into the internal flash: code, constants (weights) and the initial values of .data. */
  flashBytes: number;
  /** Bytes programmed into external flash (weights that did not fit the internal flash). */
  externalFlashBytes: number;
  /** SRAM taken by .data and .bss, not counting the arena and the stack, which are reported apart. */
  staticRamBytes: number;
  arenaBytes: number;
  stackBytes: number;
}

type MemoryRange = { readonly origin: number; readonly sizeBytes: number };
const inside = (addr: number, r: MemoryRange) => addr >= r.origin && addr < r.origin + r.sizeBytes;

/** `ram`: the image's RAM regions (one, or two when the arena has a RAM of its own); `external`: its external flash, if any. */
export function imageSizes(elf: Uint8Array, ram: readonly MemoryRange[], external: MemoryRange | null = null): ImageSizes {
  const sizes: ImageSizes = { flashBytes: 0, externalFlashBytes: 0, staticRamBytes: 0, arenaBytes: 0, stackBytes: 0 };
  for (const s of elfSections(elf)) {
    if ((s.flags & SHF_ALLOC) === 0 || s.size === 0) continue;
    if (external !== null && inside(s.addr, external)) {
      sizes.externalFlashBytes += s.size;
      continue;
    }
    const inRam = ram.some((r) => inside(s.addr, r));
    if (s.type !== SHT_NOBITS) sizes.flashBytes += s.size; // .data is in RAM but its image is in flash
    if (!inRam) continue;
    if (s.name === '.arena') sizes.arenaBytes += s.size;
    else if (s.name === '.stack') sizes.stackBytes += s.size;
    else sizes.staticRamBytes += s.size;
  }
  return sizes;
}
