/**
 * A small ELF and ar reader: finds a named section in an ELF file (a shared library, an object)
 * or in the ELF members of an ar archive (a static library), from the bytes alone. Nothing is
 * loaded or executed, and no binutils are needed. ELF32 and ELF64, either byte order; GNU and
 * BSD ar member names. Thin archives (members outside the file) are not read.
 */

export class ElfError extends Error {
  override name = 'ElfError';
}

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
const AR_MAGIC = '!<arch>\n';
const SHT_NOBITS = 8;

export const isElf = (buf: Buffer): boolean => buf.length >= 16 && buf.subarray(0, 4).equals(ELF_MAGIC);
export const isArchive = (buf: Buffer): boolean => buf.length >= 8 && buf.toString('latin1', 0, 8) === AR_MAGIC;

export interface ElfSection {
  name: string;
  type: number;
  offset: number;
  size: number;
}

/** Every section header of an ELF image, with its name resolved through the section name table. */
export function elfSections(buf: Buffer): ElfSection[] {
  if (!isElf(buf)) throw new ElfError('not an ELF file');
  const is64 = buf[4] === 2;
  const le = buf[5] === 1;
  if (buf[4] !== 1 && buf[4] !== 2) throw new ElfError(`unknown ELF class ${buf[4]}`);
  if (buf[5] !== 1 && buf[5] !== 2) throw new ElfError(`unknown ELF byte order ${buf[5]}`);
  const need = (off: number, len: number): void => {
    if (off < 0 || off + len > buf.length) throw new ElfError('truncated ELF file');
  };
  const u16 = (o: number): number => (need(o, 2), le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const u32 = (o: number): number => (need(o, 4), le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const word = (o: number): number => {
    if (!is64) return u32(o);
    need(o, 8);
    const v = le ? buf.readBigUInt64LE(o) : buf.readBigUInt64BE(o);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfError('ELF offset out of range');
    return Number(v);
  };
  const shoff = word(is64 ? 0x28 : 0x20);
  const shentsize = u16(is64 ? 0x3a : 0x2e);
  let shnum = u16(is64 ? 0x3c : 0x30);
  let shstrndx = u16(is64 ? 0x3e : 0x32);
  if (shoff === 0) return [];
  // Section header at index 0 holds the real counts when they do not fit in 16 bits.
  const header = (i: number): { name: number; type: number; offset: number; size: number; link: number } => {
    const at = shoff + i * shentsize;
    return is64
      ? { name: u32(at), type: u32(at + 4), offset: word(at + 0x18), size: word(at + 0x20), link: u32(at + 0x28) }
      : { name: u32(at), type: u32(at + 4), offset: u32(at + 0x10), size: u32(at + 0x14), link: u32(at + 0x18) };
  };
  if (shnum === 0) shnum = header(0).size;
  if (shstrndx === 0xffff) shstrndx = header(0).link;
  if (shstrndx >= shnum) throw new ElfError('bad section name table index');
  const strtab = header(shstrndx);
  need(strtab.offset, strtab.size);
  const nameAt = (o: number): string => {
    const start = strtab.offset + o;
    let end = start;
    while (end < strtab.offset + strtab.size && buf[end] !== 0) end++;
    return buf.toString('latin1', start, end);
  };
  const out: ElfSection[] = [];
  for (let i = 0; i < shnum; i++) {
    const h = header(i);
    out.push({ name: nameAt(h.name), type: h.type, offset: h.offset, size: h.size });
  }
  return out;
}

/** The contents of the named section of an ELF image, or undefined when it has none. */
export function elfSection(buf: Buffer, name: string): Buffer | undefined {
  const s = elfSections(buf).find((x) => x.name === name);
  if (!s) return undefined;
  if (s.type === SHT_NOBITS) return Buffer.alloc(0);
  if (s.offset + s.size > buf.length) throw new ElfError(`section ${name} lies outside the file`);
  return buf.subarray(s.offset, s.offset + s.size);
}

export interface ArMember {
  name: string;
  data: Buffer;
}

/** The members of an ar archive (the symbol table and the long-name table left out). */
export function arMembers(buf: Buffer): ArMember[] {
  if (!isArchive(buf)) throw new ElfError('not an ar archive');
  const out: ArMember[] = [];
  let longNames = '';
  let at = 8;
  while (at + 60 <= buf.length) {
    const raw = buf.toString('latin1', at, at + 16).trimEnd();
    const size = Number.parseInt(buf.toString('latin1', at + 48, at + 58).trim(), 10);
    if (buf.toString('latin1', at + 58, at + 60) !== '`\n' || !Number.isFinite(size))
      throw new ElfError(`bad ar member header at byte ${at}`);
    let start = at + 60;
    let data = buf.subarray(start, start + size);
    if (start + size > buf.length) throw new ElfError('truncated ar archive');
    let name = raw;
    if (raw === '/' || raw === '/SYM64/' || raw === '__.SYMDEF' || raw === '__.SYMDEF SORTED') name = '';
    else if (raw === '//') {
      longNames = data.toString('latin1');
      name = '';
    } else if (/^\/\d+$/.test(raw)) {
      const off = Number(raw.slice(1));
      const end = longNames.indexOf('/\n', off);
      name = longNames.slice(off, end < 0 ? undefined : end);
    } else if (/^#1\/\d+$/.test(raw)) {
      // BSD: the name is the first N bytes of the data.
      const n = Number(raw.slice(3));
      name = data.toString('latin1', 0, n).replace(/\0+$/, '');
      data = data.subarray(n);
    } else if (raw.endsWith('/')) name = raw.slice(0, -1);
    if (name) out.push({ name, data });
    start += size + (size % 2);
    at = start;
  }
  return out;
}

export interface FoundSection {
  /** The archive member it was found in (undefined for a plain ELF file). */
  member: string | undefined;
  data: Buffer;
}

/** The named section in an ELF file, or in the first ELF member of an archive that has it. */
export function findSection(buf: Buffer, name: string): FoundSection | undefined {
  if (isElf(buf)) {
    const data = elfSection(buf, name);
    return data ? { member: undefined, data } : undefined;
  }
  if (isArchive(buf)) {
    for (const m of arMembers(buf)) {
      if (!isElf(m.data)) continue;
      const data = elfSection(m.data, name);
      if (data) return { member: m.name, data };
    }
    return undefined;
  }
  if (buf.length >= 8 && buf.toString('latin1', 0, 8) === '!<thin>\n')
    throw new ElfError('a thin archive (its members are separate files)');
  throw new ElfError('neither an ELF file nor an ar archive');
}
