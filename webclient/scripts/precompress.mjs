// After `vite build`: a .gz and a .br copy next to each compressible file of dist/, so
// a reverse proxy serves them as they are (nginx gzip_static / brotli_static,
// deploy/nginx/fieldbook.conf) instead of compressing on every request. Runs last, so
// the service worker already holds its precache list. Node's own zlib: no dependency.
// `node scripts/precompress.mjs [dir]` (default: dist/).
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const DIST = process.argv[2] ?? new URL("../dist/", import.meta.url).pathname;
const COMPRESSIBLE = /\.(js|mjs|css|html|svg|json|webmanifest|txt)$/;
const MIN_SIZE = 1024; // smaller files gain nothing worth a second request path

function* files(dir) {
  for (const name of readdirSync(dir)) {
    if (name === ".vite") continue; // the build manifest is not served
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else yield path;
  }
}

let count = 0;
let before = 0;
let afterBrotli = 0;
for (const path of files(DIST)) {
  if (!COMPRESSIBLE.test(path)) continue;
  const data = readFileSync(path);
  if (data.length < MIN_SIZE) continue;
  const br = brotliCompressSync(data, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
    },
  });
  writeFileSync(`${path}.gz`, gzipSync(data, { level: 9 }));
  writeFileSync(`${path}.br`, br);
  count += 1;
  before += data.length;
  afterBrotli += br.length;
}
console.log(
  `precompressed ${count} files: ${(before / 1024).toFixed(0)} KB -> ` +
    `${(afterBrotli / 1024).toFixed(0)} KB brotli (.gz and .br next to each)`,
);
