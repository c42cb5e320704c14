// `npm run package [-- --target <platform>-<arch>]`: the production build, plus Dawn's native addon for one
// platform, as a platform-specific reglens.vsix.
//
// The profiler's WebGPU backend needs the `webgpu` package's dawn.node, a native binary built per platform, so
// the .vsix carries the one for its target (VS Code installs the package matching the user's platform). It is
// staged as dist/node_modules/webgpu, where the worker's run-time `require('webgpu')` finds it first, next to the
// bundle. Without a target the package is for this machine's platform.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);

/** VS Code's platform targets, and the folder of the `webgpu` package holding that platform's addon. */
const TARGETS = {
  'linux-x64': 'linux-x64',
  'linux-arm64': 'linux-arm64',
  'darwin-x64': 'darwin-universal',
  'darwin-arm64': 'darwin-universal',
  'win32-x64': 'win32-x64',
  'win32-arm64': 'win32-arm64',
};

function targetFromArgs() {
  const at = process.argv.indexOf('--target');
  const target = at >= 0 ? process.argv[at + 1] : `${process.platform}-${process.arch}`;
  if (!(target in TARGETS)) {
    console.error(`package: no WebGPU build for the target ${target}; targets: ${Object.keys(TARGETS).join(', ')}`);
    process.exit(2);
  }
  return target;
}

/** Copies the `webgpu` package's loader and one platform's addon (with its DLLs on Windows) under dist/. */
function stageWebGPU(target) {
  const source = path.dirname(require.resolve('webgpu/package.json'));
  const staged = path.join(root, 'dist', 'node_modules', 'webgpu');
  fs.rmSync(staged, { recursive: true, force: true });
  fs.mkdirSync(staged, { recursive: true });
  for (const file of ['package.json', 'index.js', 'LICENSE.md'])
    fs.copyFileSync(path.join(source, file), path.join(staged, file));
  const addon = path.join('dist', TARGETS[target]);
  fs.cpSync(path.join(source, addon), path.join(staged, addon), { recursive: true });
  return path.join(staged, addon, 'dawn.node');
}

/** The repository the Marketplace page's pictures and links are read from (package.json `repository`). */
const REPOSITORY = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).repository.url.replace(
  /\.git$/,
  '',
);

const target = targetFromArgs();
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
execFileSync(npm, ['run', 'build'], { cwd: root, stdio: 'inherit' });
const addon = stageWebGPU(target);
console.log(
  `package: WebGPU for ${target}: ${path.relative(root, addon)} (${(fs.statSync(addon).size / 1e6).toFixed(1)} MB)`,
);
execFileSync(
  process.execPath,
  [
    path.join(path.dirname(require.resolve('@vscode/vsce/package.json')), 'vsce'),
    'package',
    '--no-dependencies',
    // The Marketplace page is for users; the repository's README is for developers.
    '--readme-path',
    'docs/extension/README.md',
    // Its pictures and links are relative to its own folder.
    '--baseImagesUrl',
    `${REPOSITORY}/raw/HEAD/docs/extension`,
    '--baseContentUrl',
    `${REPOSITORY}/blob/HEAD/docs/extension`,
    '--target',
    target,
    '--out',
    'reglens.vsix',
  ],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
