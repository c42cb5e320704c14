// The real-code corpus: PyTorch, torchvision and torchaudio as Debian packages them, extracted (not installed) into
// .cache/real-code. Code no one here wrote keeps the rules honest about false positives.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const CORPUS_PACKAGES = ['python3-torch', 'python3-torchvision', 'python3-torchaudio'];
export const corpusRoot = path.join(__dirname, '..', '..', '.cache', 'real-code');
const extracted = path.join(corpusRoot, 'root');
export const sitePackages = path.join(extracted, 'usr', 'lib', 'python3', 'dist-packages');

/**
 * Downloads and extracts the packages once; later calls reuse the folder. The marker file lists the packages the
 * folder holds: a cache made for another list (an older one, without torchaudio) is extracted again from scratch.
 * Throws with apt's own message.
 */
export function ensureCorpus(): string {
  const marker = path.join(corpusRoot, 'complete');
  const wanted = `${CORPUS_PACKAGES.join('\n')}\n`;
  if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === wanted) return sitePackages;
  fs.rmSync(marker, { force: true });
  fs.rmSync(extracted, { recursive: true, force: true });
  const debs = path.join(corpusRoot, 'debs');
  fs.rmSync(debs, { recursive: true, force: true });
  fs.mkdirSync(debs, { recursive: true });
  try {
    execFileSync('apt-get', ['download', ...CORPUS_PACKAGES], { cwd: debs, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const stderr = String((e as { stderr?: Buffer }).stderr ?? e);
    throw new Error(
      `could not download ${CORPUS_PACKAGES.join(', ')} with apt-get (run \`apt-get update\` first?): ${stderr.trim()}`,
    );
  }
  for (const deb of fs.readdirSync(debs).filter((f) => f.endsWith('.deb')))
    execFileSync('dpkg', ['-x', path.join(debs, deb), extracted]);
  fs.writeFileSync(marker, wanted);
  return sitePackages;
}

export function pythonFiles(dir: string): string[] {
  const out: string[] = [];
  const visit = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) visit(full);
      else if (entry.isFile() && entry.name.endsWith('.py')) out.push(full);
    }
  };
  visit(dir);
  return out.sort();
}
