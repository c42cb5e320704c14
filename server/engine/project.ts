import pkg from '../../package.json';
import { docsUrl } from './rule';

export const VERSION: string = pkg.version;
export const REPOSITORY_URL: string = pkg.repository.url;
/** The project's page: its repository's address without `.git`. */
export const PROJECT_URL: string = REPOSITORY_URL.replace(/\.git$/, '');

/** The rule's documentation page, used for `codeDescription.href`, SARIF `helpUri` and the CLI. */
export function ruleDocsUrl(code: string): string {
  return docsUrl(REPOSITORY_URL, code);
}
