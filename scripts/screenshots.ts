// `npm run screenshots`: the pictures of the extension's own README (docs/extension/), taken in a real VS Code
// (code-server + headless Chromium, as test/e2e runs them; `npm run setup:e2e` first) on the bundled examples: a
// squiggle with its hover, the quick-fix menu, profile lenses after they ran and their hover; and the icon, from its
// SVG.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import {
  e2eSkipReason,
  launchBrowser,
  prepareWorkspace,
  root,
  startCodeServer,
  workbenchUrl,
} from '../test/e2e/harness';
import { lensesAbove, openInEditor, openQuickFixMenu, squiggleUnder, textBox } from '../test/e2e/workbench';

const out = path.join(root, 'docs', 'extension', 'images');

async function shoot(page: Page, name: string): Promise<void> {
  // The editor area and the panel, not the activity bar and side bar: what the picture is about.
  const editor = await page.locator('.part.editor').boundingBox();
  const clip = editor
    ? { x: editor.x, y: editor.y, width: editor.width, height: Math.min(editor.height, 520) }
    : undefined;
  await page.screenshot({ path: path.join(out, `${name}.png`), clip });
  console.log(`screenshots: docs/extension/images/${name}.png`);
}

async function until<T>(what: string, get: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await get();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`screenshots: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function main(): Promise<void> {
  const skip = e2eSkipReason();
  if (skip) throw new Error(`screenshots: ${skip}`);
  fs.mkdirSync(out, { recursive: true });
  const server = await startCodeServer({
    settings: { 'reglens.profiler.backend': 'wasm', 'workbench.colorTheme': 'Default Light Modern' },
  });
  const browser = await launchBrowser();
  try {
    // The extension's icon, drawn from its SVG source.
    const icon = await browser.newPage({ viewport: { width: 128, height: 128 } });
    const svg = fs.readFileSync(path.join(root, 'docs', 'extension', 'icon.svg'), 'utf8');
    await icon.setContent(`<html><body style="margin:0;background:transparent">${svg}</body></html>`);
    await icon.screenshot({ path: path.join(root, 'docs', 'extension', 'icon.png'), omitBackground: true });
    console.log('screenshots: docs/extension/icon.png');
    const workspace = prepareWorkspace(server.scratch);
    const page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
    await page.goto(workbenchUrl(server, workspace, { extensionDevelopmentPath: root }));
    await page.locator('.monaco-workbench').waitFor({ timeout: 30_000 });

    // 1. The RG001 squiggle of the vision-language example and its hover.
    await openInEditor(page, 'vision_language.py');
    const squiggle = await squiggleUnder(
      page,
      'warning',
      'h = self.dropout(self.embed_tokens(input_ids))',
      'self.dropout(self.embed_tokens(input_ids))',
    );
    await page.mouse.move(squiggle.x + 12, squiggle.y + squiggle.height / 2 - 4);
    await page.locator('.monaco-hover', { hasText: 'RG001' }).waitFor({ state: 'visible', timeout: 15_000 });
    await shoot(page, 'squiggle');
    await page.keyboard.press('Escape');

    // 2. Ctrl+. on an RG006 finding: the quick fix first.
    await openInEditor(page, 'gpt_mlp.py');
    await openQuickFixMenu(page, 'return F.dropout(x, self.dropout)', 'F.dropout(x, self.dropout)');
    await shoot(page, 'quick-fix');
    await page.keyboard.press('Escape');

    // 3. Profile lenses after they ran.
    await openInEditor(page, 'gpt_attention.py');
    const site = 'self.resid_dropout = nn.Dropout(dropout)';
    const lens = await until('the profile lens', async () =>
      (await lensesAbove(page, site)).find((l) => l.title === 'Profile train/eval'),
    );
    await page.mouse.click(lens.box.x + lens.box.width / 2, lens.box.y + lens.box.height / 2);
    await until('the profile result', async () =>
      (await lensesAbove(page, site)).find((l) => l.title.startsWith('train:')),
    );
    // The measured lens above the site, with the pointer out of the way.
    await page.mouse.move(5, 700);
    await page.waitForTimeout(500);
    await shoot(page, 'profile-lens');

    // 4. The profile hover on the same site: the chart, then the rows a user reads.
    const text = await textBox(page, site, 'nn.Dropout(dropout)');
    await page.mouse.move(text.x + 12, text.y + text.height / 2);
    await page.locator('.monaco-hover', { hasText: 'Reglens profile' }).waitFor({ state: 'visible', timeout: 15_000 });
    await page.waitForTimeout(500);
    await shoot(page, 'profile-hover');
  } finally {
    await browser.close();
    await server.stop();
    fs.rmSync(server.scratch, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
