// Copies the front-end files the page serves from node_modules into static/vendor/.
// Run after `npm ci`:  node scripts/vendor.mjs
// Layout matches the import map in templates/index.html:
//   "three"           -> static/vendor/three/three.module.js   (+ three.core.js, which it imports)
//   "three/addons/"   -> static/vendor/three/addons/           (= node_modules/three/examples/jsm/)
//   "@noble/hashes/"  -> static/vendor/noble-hashes/            (sha2.js and what it imports: the
//                        chunked upload's SHA-256 where crypto.subtle is missing, outside a secure context)
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'node_modules', 'three');
const DEST = join(ROOT, 'static', 'vendor', 'three');
const NOBLE_SRC = join(ROOT, 'node_modules', '@noble', 'hashes');
const NOBLE_DEST = join(ROOT, 'static', 'vendor', 'noble-hashes');
/** @noble/hashes modules the page imports. */
const NOBLE_MODULES = ['sha2.js'];

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

/**
 * Vendor one npm package: `copies(src, dest)` lists [source file, target file, root it may not leave]
 * to copy with their relative imports; its LICENSE and a VERSION file go beside them.
 */
function vendorPackage(name, src, dest, copies) {
  if (!existsSync(join(src, 'package.json'))) {
    console.error(`node_modules/${name} is missing: run \`npm ci\` first.`);
    process.exit(1);
  }
  const { version } = JSON.parse(readFileSync(join(src, 'package.json'), 'utf8'));
  rmSync(dest, { recursive: true, force: true });
  const seen = new Set();
  for (const [from, to, root] of copies(src, dest)) copyWithImports(from, to, root, seen);
  copyFileSync(join(src, 'LICENSE'), join(dest, 'LICENSE'));
  writeFileSync(join(dest, 'VERSION'), `${version}\n`);
  for (const f of [...seen].sort()) console.log(`vendored ${name}/${relative(src, f)}`);
  console.log(`${name} ${version} -> ${relative(ROOT, dest)}`);
}

vendorPackage('three', SRC, DEST, (src, dest) => {
  const jsm = join(src, 'examples', 'jsm');
  return [
    // three.module.js imports ./three.core.js in r16x+; the walk picks it up when present.
    [join(src, 'build', 'three.module.js'), join(dest, 'three.module.js'), join(src, 'build')],
    ...ADDONS.map((addon) => [join(jsm, addon), join(dest, 'addons', addon), jsm]),
  ];
});
vendorPackage('@noble/hashes', NOBLE_SRC, NOBLE_DEST, (src, dest) =>
  NOBLE_MODULES.map((file) => [join(src, file), join(dest, file), src]));
