/**
 * The TypeScript type of hakmem.config.ts, written out from the declarations
 * (packages/codegen/src/config.generated.ts): one optional, typed property per knob, nested by
 * the boxes' config paths, so a new box is part of the type as soon as codegen has run, and a
 * wrong key or a wrongly typed value is a TypeScript error. The file imports nothing: codegen
 * does not depend on the box packages.
 */
import { kindOf } from '@hakmem/box-kit';
import type { Validated } from './types.ts';
import { PROFILE_PATH } from './validate.ts';

interface Node {
  doc?: string;
  knobs: { key: string; doc: string; type: string }[];
  children: Map<string, Node>;
}

const jsdoc = (doc: string, indent: string): string => (doc ? `${indent}/** ${doc.replace(/\*\//g, '*\\/')} */\n` : '');

function render(node: Node, indent: string): string {
  let out = '';
  for (const k of node.knobs) out += `${jsdoc(k.doc, indent)}${indent}readonly ${k.key}?: ${k.type};\n`;
  for (const [name, child] of node.children) {
    out += `${jsdoc(child.doc ?? '', indent)}${indent}readonly ${name}?: {\n${render(child, `${indent}  `)}${indent}};\n`;
  }
  return out;
}

/** The text of config.generated.ts; `banner` is the generated-file notice (which files to edit instead). */
export function renderConfigType(v: Validated, banner: string): string {
  const root: Node = { knobs: [], children: new Map() };
  for (const sb of v.decls.boxes) {
    let node = root;
    for (const part of sb.box.configPath.split('.')) {
      let child = node.children.get(part);
      if (!child) {
        child = { knobs: [], children: new Map() };
        node.children.set(part, child);
      }
      node = child;
    }
    node.doc = sb.doc;
    for (const [key, knob] of Object.entries(sb.box.knobs)) {
      if (`${sb.box.configPath}.${key}` === PROFILE_PATH) continue; // chosen with the top-level `profile`
      node.knobs.push({ key, doc: sb.knobDocs.get(key) ?? '', type: kindOf(knob).tsType(knob) });
    }
  }
  const profiles = v.decls.profiles.map((p) => `'${p.name}'`).join(' | ');
  return (
    `// ${banner}\n\n` +
    '/**\n' +
    ' * The shape of hakmem.config.ts, derived from the box declarations: every knob optional and\n' +
    ' * typed by its kind, so a wrong key or a wrongly typed value is a TypeScript error.\n' +
    ' */\n' +
    'export interface HakmemConfig {\n' +
    "  /** The build's profile (defaults <- profile <- this file). */\n" +
    `  readonly profile?: ${profiles};\n` +
    render(root, '  ') +
    '}\n'
  );
}
