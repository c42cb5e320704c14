// Bundles the Reglens extension client, language server and CLI into dist/.
//
//   node esbuild.mjs               development build (sourcemaps, not minified)
//   node esbuild.mjs --production  minified build, as packaged into the .vsix
//   node esbuild.mjs --watch       rebuild on change (esbuild contexts)
//
// Every bundle is CommonJS for Node 20. The tree-sitter wasm files are copied next to the bundles,
// where server/engine/parser.ts looks for them (`__dirname`).
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(root, 'dist');
const require = createRequire(import.meta.url);

const args = new Set(process.argv.slice(2));
const watch = args.has('--watch');
const production = args.has('--production');
for (const arg of args) {
  if (arg !== '--watch' && arg !== '--production') {
    console.error(`esbuild.mjs: unknown option ${arg} (expected --watch and/or --production)`);
    process.exit(2);
  }
}

/**
 * The bundles. `in` is relative to the repository root; `out` is the file name in dist/ (without .js).
 * Add an entry point here and nowhere else, e.g. `{ in: 'kernels/worker.ts', out: 'worker' }`.
 */
const ENTRIES = [
  { in: 'client/extension.ts', out: 'client', external: ['vscode'] },
  { in: 'server/lsp/main.ts', out: 'server' },
  { in: 'server/cli/main.ts', out: 'cli' },
  // `reglens check`'s worker threads (server/cli/check-pool.ts), loaded from beside dist/cli.js.
  { in: 'server/cli/check-worker.ts', out: 'check-worker' },
  // The profiler worker. `webgpu` ships a native addon (dawn.node) and tfjs-node-gpu is optional: both are looked
  // up at run time.
  { in: 'kernels/worker.ts', out: 'worker', external: ['webgpu', '@tensorflow/tfjs-node-gpu'] },
];

/** Runtime files copied verbatim into dist/. */
const ASSETS = [
  'web-tree-sitter/tree-sitter.wasm',
  'tree-sitter-python/tree-sitter-python.wasm',
  // tfjs-backend-wasm loads these from the bundle's folder (kernels/backends.ts).
  '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm',
  '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm',
  '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm',
];

/**
 * web-tree-sitter ships ESM (`import`) and CJS (`require`) builds. esbuild picks the `import` condition
 * for an `import` statement, and the ESM build relies on `import.meta.url`, which is empty in a CJS
 * bundle. Always bundle the CJS build instead.
 */
const webTreeSitterCjs = {
  name: 'web-tree-sitter-cjs',
  setup(build) {
    build.onResolve({ filter: /^web-tree-sitter$/ }, (args) =>
      // `require.resolve('web-tree-sitter')` is left alone: esbuild keeps it as a runtime call.
      args.kind === 'require-resolve' ? undefined : { path: require.resolve('web-tree-sitter') },
    );
  },
};

/** Prints start/end lines in the format of the `esbuild-problem-matchers` VS Code extension. */
const watchLog = (label) => ({
  name: 'watch-log',
  setup(build) {
    build.onStart(() => console.log(`[watch] build started (${label})`));
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
      console.log(`[watch] build finished (${label})`);
    });
  },
});

function copyAssets() {
  fs.mkdirSync(dist, { recursive: true });
  for (const asset of ASSETS) {
    const source = require.resolve(asset);
    fs.copyFileSync(source, path.join(dist, path.basename(asset)));
  }
}

function options(entry) {
  return {
    absWorkingDir: root,
    entryPoints: [path.join(root, entry.in)],
    outfile: path.join(dist, `${entry.out}.js`),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true, // separate .js.map files (linked), never inline
    sourcesContent: !production,
    minify: production,
    keepNames: true,
    external: entry.external ?? [],
    define: { 'process.env.NODE_ENV': JSON.stringify(production ? 'production' : 'development') },
    logLevel: watch ? 'silent' : 'warning',
    plugins: [webTreeSitterCjs, ...(watch ? [watchLog(entry.out)] : [])],
  };
}

async function main() {
  const entries = [];
  for (const entry of ENTRIES) {
    if (fs.existsSync(path.join(root, entry.in))) entries.push(entry);
    else console.log(`esbuild.mjs: skipping ${entry.in} (not written yet) -> dist/${entry.out}.js not built`);
  }

  // Start from an empty dist/ so a skipped or renamed entry never leaves a stale bundle behind.
  fs.rmSync(dist, { recursive: true, force: true });
  copyAssets();

  if (watch) {
    const contexts = await Promise.all(entries.map((entry) => esbuild.context(options(entry))));
    await Promise.all(contexts.map((ctx) => ctx.watch()));
    console.log(`esbuild.mjs: watching ${entries.map((e) => e.in).join(', ')} (new entry files need a restart)`);
    const stop = async () => {
      await Promise.all(contexts.map((ctx) => ctx.dispose()));
      process.exit(0);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    return;
  }

  const results = await Promise.allSettled(entries.map((entry) => esbuild.build(options(entry))));
  let failed = false;
  results.forEach((result, i) => {
    if (result.status === 'rejected') {
      failed = true;
      console.error(`esbuild.mjs: ${entries[i].in} failed to build`);
    } else {
      console.log(`esbuild.mjs: ${entries[i].in} -> dist/${entries[i].out}.js`);
    }
  });
  if (failed) process.exit(1);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
