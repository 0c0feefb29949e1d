import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import type { Model } from './model.ts';
import { templatesDir } from './paths.ts';

export const DOCS_TEMPLATE = 'knobs.md.hbs';
export const BUILD_TEMPLATE = 'hakmem_build.h.hbs';
/** The header of a box that has no template of its own (templates/<header>.hbs). */
export const BOX_TEMPLATE = 'box.h.hbs';

/** The template of a box's header: its own when templates/ has one, else the generic one. */
export function boxTemplate(file: string, dir: string = templatesDir): string {
  return existsSync(path.join(dir, `${file}.hbs`)) ? `${file}.hbs` : BOX_TEMPLATE;
}

function engine(dir: string): typeof Handlebars {
  const hb = Handlebars.create();
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  const partials = path.join(dir, 'partials');
  for (const f of readdirSync(partials)
    .filter((n) => n.endsWith('.hbs'))
    .sort()) {
    hb.registerPartial(f.replace(/\.hbs$/, ''), readFileSync(path.join(partials, f), 'utf8'));
  }
  return hb;
}

function compile(hb: typeof Handlebars, dir: string, name: string): HandlebarsTemplateDelegate {
  return hb.compile(readFileSync(path.join(dir, name), 'utf8'), { noEscape: true, strict: true });
}

/** The headers of one mode: file name -> content (hakmem_build.h, then one per box). */
export function renderHeaders(model: Model, dir: string = templatesDir): Map<string, string> {
  const hb = engine(dir);
  const out = new Map<string, string>();
  out.set('hakmem_build.h', compile(hb, dir, BUILD_TEMPLATE)(model));
  for (const box of model.boxes) {
    out.set(box.file, compile(hb, dir, boxTemplate(box.file, dir))({ ...model, box }));
  }
  return new Map([...out.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** docs/knobs.md (mode-independent). */
export function renderDocs(model: Model, dir: string = templatesDir): string {
  return compile(engine(dir), dir, DOCS_TEMPLATE)(model);
}
