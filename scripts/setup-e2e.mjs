// Installs what the end-to-end tests (test/e2e/) need, and nothing else:
//   - Debian packages through apt-get when missing: chromium (rendered by playwright-core), libkrb5-dev (code-server's
//     kerberos module builds against it), ripgrep (code-server's @vscode/ripgrep otherwise downloads rg from GitHub);
//   - code-server@4.100.3 (VS Code 1.100 on Node 20) into .cache/e2e/code-server.
// Idempotent: a second run checks and returns in well under a second.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CODE_SERVER_VERSION, chromiumPath, codeServerBin, e2eCache, missingPrerequisites, root } from './e2e-env.mjs';

const started = Date.now();

const missing = missingPrerequisites();
if (missing.length === 0) {
  console.log(`setup:e2e: ready (code-server ${CODE_SERVER_VERSION}, ${chromiumPath}) — nothing to do`);
  process.exit(0);
}
console.log(`setup:e2e: installing ${missing.join('; ')}`);
const needCodeServer = missing.some((m) => m.startsWith('code-server'));

const run = (cmd, args, options = {}) => {
  console.log(`setup:e2e: $ ${cmd} ${args.join(' ')}`);
  execFileSync(cmd, args, { stdio: 'inherit', ...options });
};

// 1. System packages. Another apt-get (CI's own step, a developer) may hold dpkg's lock: wait for it.
const WAIT_FOR_LOCK = ['-o', 'DPkg::Lock::Timeout=600'];
const debs = [];
if (!fs.existsSync(chromiumPath)) debs.push('chromium');
if (needCodeServer) {
  if (!fs.existsSync('/usr/include/krb5.h') && !fs.existsSync('/usr/include/gssapi/gssapi.h')) debs.push('libkrb5-dev');
  if (!hasCommand('rg')) debs.push('ripgrep');
}
if (debs.length > 0) {
  if (!hasCommand('apt-get')) fail(`needs the Debian packages ${debs.join(' ')}, and apt-get is not available`);
  const asRoot = process.getuid?.() === 0;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args) => (asRoot ? run('apt-get', args, { env }) : run('sudo', ['-E', 'apt-get', ...args], { env }));
  try {
    apt([...WAIT_FOR_LOCK, 'install', '-y', '-qq', '--no-install-recommends', ...debs]);
  } catch {
    apt([...WAIT_FOR_LOCK, 'update', '-qq']);
    apt([...WAIT_FOR_LOCK, 'install', '-y', '-qq', '--no-install-recommends', ...debs]);
  }
}

// 2. code-server, into the project's cache folder.
if (needCodeServer) {
  // @vscode/ripgrep's postinstall downloads rg from GitHub unless its cache already holds the archive: put Debian's
  // rg there under the name it looks for.
  const rg = execFileSync('sh', ['-c', 'command -v rg'], { encoding: 'utf8' }).trim();
  const cacheDir = path.join(os.tmpdir(), 'vscode-ripgrep-cache-1.15.11');
  const archive = path.join(cacheDir, 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz');
  if (!fs.existsSync(archive)) {
    fs.mkdirSync(cacheDir, { recursive: true });
    const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'reglens-rg-'));
    fs.copyFileSync(rg, path.join(staging, 'rg'));
    fs.chmodSync(path.join(staging, 'rg'), 0o755);
    run('tar', ['-czf', archive, '-C', staging, 'rg']);
    fs.rmSync(staging, { recursive: true, force: true });
  }
  const prefix = path.dirname(path.dirname(path.dirname(codeServerBin))); // .cache/e2e/code-server
  fs.mkdirSync(prefix, { recursive: true });
  fs.writeFileSync(
    path.join(prefix, 'package.json'),
    `${JSON.stringify({ name: 'reglens-e2e-code-server', private: true })}\n`,
  );
  run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--no-save', '--prefix', prefix, `code-server@${CODE_SERVER_VERSION}`],
    {
      cwd: prefix,
      env: { ...process.env, npm_config_unsafe_perm: 'true', npm_config_yes: 'true' },
    },
  );
}

const still = missingPrerequisites();
if (still.length > 0) fail(`still missing after install: ${still.join('; ')}`);
console.log(`setup:e2e: ready in ${((Date.now() - started) / 1000).toFixed(0)} s (${path.relative(root, e2eCache)})`);

function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

function fail(message) {
  console.error(`setup:e2e: ${message}`);
  process.exit(1);
}
