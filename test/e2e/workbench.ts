// Small page objects for the VS Code workbench in Chromium (selectors of VS Code 1.100's DOM).
import type { Page } from 'playwright-core';

// The functions passed to page.evaluate run in the page; the project's typecheck has no DOM library (server code
// must not use it), so the few page globals they touch are declared here, for this module only.
declare const document: any;
declare const NodeFilter: any;
type Rect = { left: number; right: number; top: number; width: number; height: number };

/** Opens a workspace file from the Explorer (double click pins the editor) and waits for its text. */
export async function openInEditor(page: Page, name: string): Promise<void> {
  const tab = page.locator('.tabs-container .tab', { hasText: name });
  if ((await tab.count()) > 0) {
    await tab.first().click();
    return;
  }
  await page.locator('.explorer-folders-view .monaco-list-row', { hasText: name }).dblclick({ timeout: 30_000 });
  await page.locator('.tabs-container .tab.active', { hasText: name }).waitFor({ timeout: 10_000 });
  await page.locator('.monaco-editor .view-lines').first().waitFor();
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Waits for a squiggle of `severity` drawn on the editor line whose text is `lineText`, horizontally under the
 * substring `covered`, and returns its box.
 */
export async function squiggleUnder(page: Page, severity: 'error' | 'warning', lineText: string, covered: string): Promise<Box> {
  const line = page.locator('.monaco-editor .view-line', { hasText: lineText }).first();
  await line.waitFor({ timeout: 10_000 });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const found = await page.evaluate(
      ({ severity, lineText, covered }) => {
        const lines: any[] = [...document.querySelectorAll('.monaco-editor .view-line')];
        const target = lines.find((l: any) => l.textContent?.replace(/\u00a0/g, ' ').includes(lineText));
        if (!target) return { error: `no editor line shows ${lineText}` };
        const text = target.textContent!.replace(/\u00a0/g, ' ');
        const lineBox = target.getBoundingClientRect();
        // Measure where `covered` starts and ends on screen with a DOM range over the line's text nodes.
        const start = text.indexOf(covered);
        const walker = document.createTreeWalker(target, NodeFilter.SHOW_TEXT);
        const range = document.createRange();
        let offset = 0;
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          const length = node.textContent!.length;
          if (offset <= start && start < offset + length) range.setStart(node, start - offset);
          if (offset < start + covered.length && start + covered.length <= offset + length) range.setEnd(node, start + covered.length - offset);
          offset += length;
        }
        const textBox: Rect = range.getBoundingClientRect();
        const squiggles: Rect[] = [...document.querySelectorAll(`.monaco-editor .squiggly-${severity}`)].map((s: any) => s.getBoundingClientRect());
        const under = squiggles.find(
          (s) => Math.abs(s.top - lineBox.top) < 2 && Math.abs(s.left - textBox.left) < 3 && Math.abs(s.right - textBox.right) < 3,
        );
        if (!under) return { error: `no ${severity} squiggle under "${covered}" (squiggles: ${JSON.stringify(squiggles.map((s) => [s.left, s.top, s.width]))}; text at ${textBox.left}-${textBox.right}, ${lineBox.top})` };
        return { box: { x: under.left, y: under.top, width: under.width, height: under.height } };
      },
      { severity, lineText, covered },
    );
    if (found.box) return found.box;
    if (Date.now() > deadline) throw new Error(found.error);
    await page.waitForTimeout(200);
  }
}

export interface ProblemRow {
  message: string;
  source: string;
  code: string;
  href: string | null;
  position: string;
}

/** Opens the Problems panel (Ctrl+Shift+M) and waits until it shows `count` problems; returns their rows. */
export async function problemRows(page: Page, count: number): Promise<ProblemRow[]> {
  const panel = page.locator('.markers-panel');
  if (!(await panel.isVisible().catch(() => false))) await page.keyboard.press('Control+Shift+M');
  await panel.waitFor({ timeout: 10_000 });
  const rows = panel.locator('.monaco-list-row:has(.marker-message)');
  const deadline = Date.now() + 30_000;
  while ((await rows.count()) !== count) {
    if (Date.now() > deadline) throw new Error(`the Problems panel shows ${await rows.count()} problems, expected ${count}: ${await panel.innerText()}`);
    await page.waitForTimeout(200);
  }
  const result: ProblemRow[] = [];
  for (let i = 0; i < count; i++) {
    const row = rows.nth(i);
    result.push({
      message: (await row.locator('.marker-message').innerText()).trim(),
      source: (await row.locator('.marker-source').innerText()).trim(),
      code: (await row.locator('.marker-code').innerText()).trim(),
      href: await row.locator('a.monaco-link:has(.marker-code)').getAttribute('href'),
      position: (await row.locator('.marker-line').innerText()).trim(),
    });
  }
  return result;
}
