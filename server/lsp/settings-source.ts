import type { Connection } from 'vscode-languageserver/node';
import { type EditorSettings, readEditorSettings } from './configuration';

/**
 * Where the `reglens` settings come from: pulled per scope (`workspace/configuration`) when the client answers it,
 * else pushed by the client (`initializationOptions.settings`, `didChangeConfiguration`).
 */
export class SettingsSource {
  /** The client answers `workspace/configuration`. */
  pull = false;
  /** The last pushed `reglens` section. */
  pushed: unknown = undefined;

  constructor(
    private readonly connection: Connection,
    private readonly logError: (what: string, error: unknown) => void,
  ) {}

  /** Pushed settings: `{ reglens: … }` or the section itself. */
  push(settings: unknown): void {
    this.pushed = sectionOf(settings);
  }

  /** The raw `reglens` section for a folder or file; undefined when the client could not answer. */
  async section(scopeUri: string, what = 'the reglens settings'): Promise<unknown> {
    if (!this.pull) return this.pushed;
    try {
      return await this.connection.workspace.getConfiguration({ scopeUri, section: 'reglens' });
    } catch (e) {
      this.logError(`reading ${what} for ${scopeUri}`, e);
      return undefined;
    }
  }

  /** The validated `reglens` settings for a folder or file. */
  async editor(scopeUri: string): Promise<EditorSettings> {
    return readEditorSettings(await this.section(scopeUri));
  }
}

function sectionOf(settings: unknown): unknown {
  if (settings && typeof settings === 'object' && !Array.isArray(settings) && 'reglens' in settings)
    return (settings as { reglens: unknown }).reglens;
  return settings;
}
