// Builds the editor into client/dist/: one minified ES module bundle (litegraph, socket.io client and the app),
// the app's stylesheet, litegraph's stylesheet and index.html. Run with `npm run build:client` (tsx).
import { build } from 'esbuild';
import { copyFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');

/** Bundles the client; returns the output files with raw and gzip sizes. */
export async function buildClient(options: { sourcemap?: boolean; byPackage?: Record<string, number> } = {}): Promise<Array<{ file: string; bytes: number; gzip: number }>> {
  await rm(dist, { recursive: true, force: true });
  await mkdir(dist, { recursive: true });
  const result = await build({
    metafile: true,
    entryPoints: [join(here, 'src/main.ts')],
    outfile: join(dist, 'main.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome110', 'firefox115', 'safari16'],
    minify: true,
    sourcemap: options.sourcemap ?? true,
    legalComments: 'linked',
    logLevel: 'warning',
  });
  // Minified bytes of the bundle by origin (which package, or the app itself), for the size report.
  if (options.byPackage) {
    for (const [input, info] of Object.entries(result.metafile.outputs[Object.keys(result.metafile.outputs).find((o) => o.endsWith('main.js'))!]!.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      const key = match ? match[1]! : 'app (client/, shared nodes/)';
      options.byPackage[key] = (options.byPackage[key] ?? 0) + info.bytesInOutput;
    }
  }
  const require = createRequire(import.meta.url);
  const litegraphCss = require.resolve('@comfyorg/litegraph/style.css');
  await copyFile(litegraphCss, join(dist, 'litegraph.css'));
  await copyFile(join(here, 'app.css'), join(dist, 'app.css'));
  await copyFile(join(here, 'index.html'), join(dist, 'index.html'));
  const sizes = [];
  for (const file of ['main.js', 'app.css', 'litegraph.css', 'index.html']) {
    const bytes = await readFile(join(dist, file));
    sizes.push({ file, bytes: (await stat(join(dist, file))).size, gzip: gzipSync(bytes, { level: 9 }).length });
  }
  await writeFile(join(dist, 'build-info.json'), JSON.stringify({ builtAt: new Date().toISOString(), sizes }, null, 2));
  return sizes;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = Date.now();
  const sizes = await buildClient();
  const total = sizes.reduce((a, s) => a + s.gzip, 0);
  for (const s of sizes) console.log(`${s.file.padEnd(14)} ${(s.bytes / 1024).toFixed(1).padStart(7)} KiB  gzip ${(s.gzip / 1024).toFixed(1).padStart(6)} KiB`);
  console.log(`client built in ${Date.now() - started} ms; ${(total / 1024).toFixed(1)} KiB gzip in all -> client/dist/`);
}
