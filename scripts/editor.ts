// `npm run editor`: try Reglens in a browser VS Code without installing anything else. Packages the extension
// (`npm run package`), installs the .vsix into code-server (from `npm run setup:e2e`) with its own folders under
// .cache/e2e/editor/, opens a fresh copy of examples/ and prints the URL. Ctrl+C stops it.
//   REGLENS_EDITOR_PORT=8123 npm run editor     (default port 8090, bound to 127.0.0.1 only)
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { codeServerCli, e2eSkipReason, prepareWorkspace, root, startCodeServer } from '../test/e2e/harness';

async function main(): Promise<void> {
  const missing = e2eSkipReason();
  if (missing) {
    console.error(`editor: ${missing}`);
    process.exit(1);
  }
  const port = Number(process.env.REGLENS_EDITOR_PORT ?? 8090);
  const scratch = path.join(root, '.cache', 'e2e', 'editor');
  fs.rmSync(scratch, { recursive: true, force: true });
  fs.mkdirSync(scratch, { recursive: true });

  execFileSync('npm', ['run', 'package'], { cwd: root, stdio: 'inherit' });
  await codeServerCli(
    ['--install-extension', path.join(root, 'reglens.vsix')],
    path.join(scratch, 'extensions'),
    scratch,
  );
  const workspace = prepareWorkspace(scratch);
  const server = await startCodeServer({ scratch, port });
  const url = `${server.url}/?${new URLSearchParams({ folder: workspace })}`;
  console.log(
    `\nReglens in VS Code (code-server), on a copy of examples/ in ${path.relative(root, workspace)}:\n\n  ` +
      `${url}\n\nCtrl+C stops it.`,
  );

  const stop = async () => {
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  setInterval(() => undefined, 1 << 30); // keep running until stopped
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
