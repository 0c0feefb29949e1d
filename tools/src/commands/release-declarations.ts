/**
 * Writes packages/<box>/declaration.json from the current declarations (codegen's
 * packageDeclarations): the declaration as released. release.ts calls it after
 * `changeset version`; check-changesets compares later declarations against these files.
 */
import fs from 'node:fs';
import path from 'node:path';

export async function writeDeclarations(root: string): Promise<string[]> {
  const { declarationJson, loadBoxes, packageDeclarations } = await import('@hakmem/codegen');
  const written: string[] = [];
  for (const [dir, d] of packageDeclarations(await loadBoxes())) {
    const file = path.join(root, 'packages', dir, 'declaration.json');
    // the version in package.json is the one being released (changeset version ran first)
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'packages', dir, 'package.json'), 'utf8')) as {
      version: string;
    };
    fs.writeFileSync(file, declarationJson({ ...d, version: pkg.version }));
    written.push(path.relative(root, file));
  }
  return written;
}
