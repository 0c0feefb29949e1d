/**
 * perf's text output, as `hakmem profile` asks for it: the rows of `perf report` sorted by object
 * and symbol (optionally by command first), and the instructions of one symbol from `perf annotate`.
 */

/** One row of `perf report --sort dso,sym --show-total-period -t ';'`. */
export interface PerfRow {
  /** CPU seconds (the cpu-clock period is in nanoseconds). */
  seconds: number;
  dso: string;
  symbol: string;
  kernel: boolean;
}

/** The rows of a `perf report --stdio --show-total-period --sort dso,sym -t ';'` listing; with
 * `comms`, of one sorted by `comm,dso,sym`, keeping only the rows of those commands. */
export function parsePerfReport(text: string, comms?: readonly string[]): PerfRow[] {
  const rows: PerfRow[] = [];
  const skip = comms ? 1 : 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.includes(';')) continue;
    const f = line.split(';').map((x) => x.trim());
    if (f.length < 4 + skip || !/^[\d.]+%$/.test(f[0]!)) continue;
    if (comms && !comms.includes(f[2]!)) continue;
    const period = Number(f[1]);
    if (!Number.isFinite(period)) continue;
    const dso = f[2 + skip]!;
    const sym = f.slice(3 + skip).join(';');
    const m = /^\[(.)\]\s+(.*)$/.exec(sym);
    rows.push({
      seconds: period / 1e9,
      dso,
      symbol: m ? m[2]! : sym,
      kernel: m ? m[1] === 'k' : dso.startsWith('[kernel'),
    });
  }
  return rows;
}

/** One instruction of an annotated symbol: its address, its text, its share of the symbol's samples (%). */
export interface AnnotatedLine {
  addr: string;
  instr: string;
  pct: number;
}

/** The instructions of `perf annotate --stdio --no-source -s SYMBOL` (every object holding it, concatenated). */
export function parsePerfAnnotate(text: string): AnnotatedLine[] {
  const out: AnnotatedLine[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*([\d.]+)\s*:\s+([0-9a-f]+):\s+(.*\S)\s*$/.exec(line);
    if (m) out.push({ pct: Number(m[1]), addr: m[2]!, instr: m[3]!.replace(/\s+/g, ' ') });
  }
  return out;
}
