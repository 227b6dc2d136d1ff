// Copies the three.js files the page serves from node_modules/three into static/vendor/three/.
// Run after `npm ci`:  node scripts/vendor_three.mjs
// Layout matches the import map in templates/index.html:
//   "three"         -> static/vendor/three/three.module.js   (+ three.core.js, which it imports)
//   "three/addons/" -> static/vendor/three/addons/           (= node_modules/three/examples/jsm/)
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'node_modules', 'three');
const DEST = join(ROOT, 'static', 'vendor', 'three');

/** Addons the page imports, relative to three/examples/jsm/. Their relative imports follow. */
const ADDONS = ['controls/OrbitControls.js'];

/** Relative module specifiers ("./x.js", "../y.js") imported or re-exported by a source file. */
function relativeImports(source) {
  const found = new Set();
  const re = /(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\s*\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)|import\s*['"](\.{1,2}\/[^'"]+)['"]/g;
  for (const m of source.matchAll(re)) found.add(m[1] || m[2] || m[3]);
  return [...found];
}

/** Copy one file and, transitively, every file it imports by a relative path. */
function copyWithImports(srcFile, destFile, srcRoot, seen) {
  if (seen.has(srcFile)) return;
  seen.add(srcFile);
  if (!normalize(srcFile).startsWith(srcRoot)) throw new Error(`import escapes ${srcRoot}: ${srcFile}`);
  mkdirSync(dirname(destFile), { recursive: true });
  copyFileSync(srcFile, destFile);
  for (const spec of relativeImports(readFileSync(srcFile, 'utf8'))) {
    copyWithImports(resolve(dirname(srcFile), spec), resolve(dirname(destFile), spec), srcRoot, seen);
  }
}

function main() {
  if (!existsSync(join(SRC, 'package.json'))) {
    console.error('node_modules/three is missing: run `npm ci` first.');
    process.exit(1);
  }
  const { version } = JSON.parse(readFileSync(join(SRC, 'package.json'), 'utf8'));
  rmSync(DEST, { recursive: true, force: true });
  const seen = new Set();
  // three.module.js imports ./three.core.js in r16x+; the walk picks it up when present.
  copyWithImports(join(SRC, 'build', 'three.module.js'), join(DEST, 'three.module.js'), join(SRC, 'build'), seen);
  const jsm = join(SRC, 'examples', 'jsm');
  for (const addon of ADDONS) copyWithImports(join(jsm, addon), join(DEST, 'addons', addon), jsm, seen);
  copyFileSync(join(SRC, 'LICENSE'), join(DEST, 'LICENSE'));
  writeFileSync(join(DEST, 'VERSION'), `${version}\n`);
  for (const f of [...seen].sort()) console.log(`vendored ${relative(SRC, f)}`);
  console.log(`three ${version} -> ${relative(ROOT, DEST)}`);
}

main();
