// Entry point of the Reglens language server (dist/server.js). `createConnection` picks the transport from the
// command line: `--stdio` (other editors, the tests), `--node-ipc` (the VS Code client) or `--socket=<port>`.
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { initParser } from '../engine/parser';
import { startServer } from './server';

const connection = createConnection(ProposedFeatures.all);

// Last line of defence: a bug must cost one answer, never the server.
process.on('uncaughtException', (error) =>
  connection.console.error(`Reglens: uncaught exception: ${error.stack ?? error.message}`),
);
process.on('unhandledRejection', (reason) =>
  connection.console.error(
    `Reglens: unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`,
  ),
);

async function main(): Promise<void> {
  let parserError: string | undefined;
  try {
    await initParser();
  } catch (e) {
    parserError = e instanceof Error ? e.message : String(e);
  }
  startServer(connection, { parserError });
  connection.listen();
}

void main();
