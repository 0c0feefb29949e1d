import { Node, Project, SyntaxKind, type ObjectLiteralExpression } from 'ts-morph';
import { KIND_BY_CTOR, type KnobKind } from '@hakmem/box-kit';
import { DeclarationError } from './errors.ts';
import { repoRelative } from './paths.ts';
import type { DeclaredBox } from './types.ts';

export interface DeclaredFile {
  boxes: DeclaredBox[];
  /** Profile name -> doc, when the file calls defineProfiles. */
  profileDocs: Map<string, string> | undefined;
}

/** The text of the last JSDoc comment (`/** ... *\/`) directly before a node, without the markers. */
export function jsDocBefore(node: Node): string {
  const ranges = node.getLeadingCommentRanges().filter((r) => r.getText().startsWith('/**'));
  const last = ranges[ranges.length - 1];
  if (!last) return '';
  return last
    .getText()
    .replace(/^\/\*\*/, '')
    .replace(/\*\/$/, '')
    .split('\n')
    .map((line) => line.replace(/^\s*\*?\s?/, '').trim())
    .filter((line) => line.length > 0)
    .join(' ')
    .trim();
}

function objectProperties(obj: ObjectLiteralExpression): { name: string; node: Node; init: Node | undefined }[] {
  return obj.getProperties().flatMap((p) => {
    if (Node.isPropertyAssignment(p)) {
      return [{ name: p.getName().replace(/^['"]|['"]$/g, ''), node: p, init: p.getInitializer() }];
    }
    return [];
  });
}

function objectArg(call: Node): ObjectLiteralExpression | undefined {
  if (!Node.isCallExpression(call)) return undefined;
  const arg = call.getArguments()[0];
  return arg && Node.isObjectLiteralExpression(arg) ? arg : undefined;
}

/**
 * Reads the `defineBox(...)` and `defineProfiles(...)` exports of declaration files with ts-morph:
 * doc comments on the box, each knob, each counter and each profile, and each knob's constructor.
 */
export function readDeclarations(files: readonly string[]): Map<string, DeclaredFile> {
  const project = new Project({
    skipAddingFilesFromTsConfig: true,
    skipFileDependencyResolution: true,
    compilerOptions: { allowJs: false, noLib: true },
  });
  const result = new Map<string, DeclaredFile>();
  for (const file of files) {
    const source = project.addSourceFileAtPath(file);
    const rel = repoRelative(file);
    const declared: DeclaredFile = { boxes: [], profileDocs: undefined };
    for (const statement of source.getVariableStatements()) {
      if (!statement.isExported()) continue;
      for (const decl of statement.getDeclarations()) {
        const init = decl.getInitializer();
        if (!init || !Node.isCallExpression(init)) continue;
        const callee = init.getExpression().getText();
        const arg = objectArg(init);
        if (callee === 'defineProfiles' && arg) {
          declared.profileDocs = new Map(objectProperties(arg).map((p) => [p.name, jsDocBefore(p.node)]));
          continue;
        }
        if (callee !== 'defineBox') continue;
        if (!arg)
          throw new DeclarationError([`${rel}: defineBox for ${decl.getName()} must be passed an object literal`]);
        const knobs = new Map<string, { ctor: string; kind: KnobKind | undefined; doc: string }>();
        const counters = new Map<string, { doc: string }>();
        for (const prop of objectProperties(arg)) {
          if (prop.name !== 'knobs' && prop.name !== 'counters') continue;
          const obj = prop.init?.asKind(SyntaxKind.ObjectLiteralExpression);
          if (!obj) throw new DeclarationError([`${rel}: ${decl.getName()}.${prop.name} must be an object literal`]);
          for (const entry of objectProperties(obj)) {
            const doc = jsDocBefore(entry.node);
            if (prop.name === 'counters') {
              counters.set(entry.name, { doc });
              continue;
            }
            const ctor = entry.init && Node.isCallExpression(entry.init) ? entry.init.getExpression().getText() : '';
            knobs.set(entry.name, { ctor, kind: KIND_BY_CTOR.get(ctor), doc });
          }
        }
        declared.boxes.push({
          exportName: decl.getName(),
          file: rel,
          doc: statement
            .getJsDocs()
            .map((d) => d.getDescription().trim())
            .join(' ')
            .replace(/\s+/g, ' '),
          knobs,
          counters,
        });
      }
    }
    result.set(file, declared);
  }
  return result;
}
