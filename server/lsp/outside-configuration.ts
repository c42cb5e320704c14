// Configuration files outside every workspace folder: the pyproject.toml above a subfolder opened on its own, the
// shared file an `extend` names (`~/.config/reglens/base.toml`). The `**/*.toml` watcher the server registers covers
// the workspace folders only, so each such file gets a watcher of its own (an LSP relative pattern: its folder and
// its name), registered again whenever the set of files read changes. A client without relative patterns cannot
// watch outside its folders: such a file is read again only when a file inside changes.
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DidChangeWatchedFilesNotification, type Disposable, type Connection } from 'vscode-languageserver/node';

export class OutsideConfigurationWatch {
  private watched = '';
  private registration: Promise<Disposable | null> = Promise.resolve(null);

  constructor(
    private readonly connection: Connection,
    private readonly logError: (what: string, e: unknown) => void,
  ) {}

  /** Watches the files read that lie outside `folders`, unless that set has not changed. */
  update(filesRead: readonly string[], folders: readonly string[]): void {
    const outside = filesRead.filter((f) => !folders.some((folder) => f.startsWith(`${folder}${path.sep}`))).sort();
    const key = outside.join('\n');
    if (key === this.watched) return;
    this.watched = key;
    const previous = this.registration;
    this.registration = (async () => {
      (await previous)?.dispose();
      if (outside.length === 0) return null;
      const watchers = outside.map((file) => ({
        globPattern: { baseUri: pathToFileURL(path.dirname(file)).href, pattern: path.basename(file) },
      }));
      return this.connection.client.register(DidChangeWatchedFilesNotification.type, { watchers });
    })().catch((e) => {
      this.logError('watching configuration files outside the workspace', e);
      return null;
    });
  }
}
