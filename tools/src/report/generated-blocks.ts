/**
 * Figures in Markdown come from results files, never by hand (issue 7). A generated block is
 *
 *     <!-- generated: hakmem table docs/results/<date>-<sha>.json [--workloads a,b] [--allocators x,y] -->
 *     ...the command's output...
 *     <!-- end generated -->
 *
 * `hakmem figures` rewrites every block from its command; a test checks that the committed
 * blocks are exactly what their commands print from committed results files.
 */
export interface GeneratedBlock {
  /** The command after "hakmem", split on spaces: e.g. ["table", "docs/results/x.json"]. */
  argv: string[];
  /** Index of the first character of the body (after the opening line) and one past its end. */
  bodyStart: number;
  bodyEnd: number;
  body: string;
}

const OPEN = /<!-- generated: hakmem ([^\n]*?) -->\n/g;
const CLOSE = '<!-- end generated -->';

export class GeneratedBlockError extends Error {
  override name = 'UsageError';
}

export function findGeneratedBlocks(text: string): GeneratedBlock[] {
  const out: GeneratedBlock[] = [];
  for (const m of text.matchAll(OPEN)) {
    const bodyStart = m.index! + m[0].length;
    const bodyEnd = text.indexOf(CLOSE, bodyStart);
    if (bodyEnd < 0) throw new GeneratedBlockError(`generated block "hakmem ${m[1]}" has no "${CLOSE}" line`);
    const next = text.slice(bodyStart, bodyEnd).search(/<!-- generated: /);
    if (next >= 0) throw new GeneratedBlockError(`generated block "hakmem ${m[1]}" is not closed before the next one`);
    out.push({ argv: m[1]!.trim().split(/\s+/), bodyStart, bodyEnd, body: text.slice(bodyStart, bodyEnd) });
  }
  return out;
}

/** The text with every block's body replaced by render(argv) (a trailing newline is kept). */
export function regenerateBlocks(text: string, render: (argv: string[]) => string): string {
  const blocks = findGeneratedBlocks(text);
  let out = '';
  let at = 0;
  for (const b of blocks) {
    const body = render(b.argv);
    out += text.slice(at, b.bodyStart) + (body.endsWith('\n') ? body : `${body}\n`);
    at = b.bodyEnd;
  }
  return out + text.slice(at);
}
