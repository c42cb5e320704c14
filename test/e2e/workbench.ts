// Small page objects for the VS Code workbench in Chromium (selectors of VS Code 1.100's DOM).
import type { Locator, Page } from 'playwright-core';

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
 * Where the substring `covered` of the editor line showing `lineText` is drawn, and that line's top; null when not
 * shown.
 */
async function textOnScreen(
  page: Page,
  lineText: string,
  covered: string,
): Promise<{ box: Box; lineTop: number } | { error: string }> {
  return page.evaluate(
    ({ lineText, covered }) => {
      const lines: any[] = [...document.querySelectorAll('.monaco-editor .view-line')];
      const target = lines.find((l: any) => l.textContent?.replace(/\u00a0/g, ' ').includes(lineText));
      if (!target) return { error: `no editor line shows ${lineText}` };
      const text = target.textContent!.replace(/\u00a0/g, ' ');
      // Measure where `covered` starts and ends on screen with a DOM range over the line's text nodes.
      const start = text.indexOf(covered);
      if (start < 0) return { error: `the line ${lineText} does not contain ${covered}` };
      const walker = document.createTreeWalker(target, NodeFilter.SHOW_TEXT);
      const range = document.createRange();
      let offset = 0;
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const length = node.textContent!.length;
        if (offset <= start && start < offset + length) range.setStart(node, start - offset);
        if (offset < start + covered.length && start + covered.length <= offset + length)
          range.setEnd(node, start + covered.length - offset);
        offset += length;
      }
      const r: Rect = range.getBoundingClientRect();
      return {
        box: { x: r.left, y: r.top, width: r.width, height: r.height },
        lineTop: target.getBoundingClientRect().top as number,
      };
    },
    { lineText, covered },
  );
}

/** The box of `covered` on the editor line showing `lineText`, once that line is drawn. */
export async function textBox(page: Page, lineText: string, covered: string): Promise<Box> {
  await page.locator('.monaco-editor .view-line', { hasText: lineText }).first().waitFor({ timeout: 10_000 });
  const found = await textOnScreen(page, lineText, covered);
  if ('error' in found) throw new Error(found.error);
  return found.box;
}

/**
 * Waits for a squiggle of `severity` drawn on the editor line whose text is `lineText`, horizontally under the
 * substring `covered`, and returns its box.
 */
export async function squiggleUnder(
  page: Page,
  severity: 'error' | 'warning',
  lineText: string,
  covered: string,
): Promise<Box> {
  await page.locator('.monaco-editor .view-line', { hasText: lineText }).first().waitFor({ timeout: 10_000 });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const text = await textOnScreen(page, lineText, covered);
    if ('error' in text) throw new Error(text.error);
    const squiggles: Rect[] = await page.evaluate(
      (severity) =>
        [...document.querySelectorAll(`.monaco-editor .squiggly-${severity}`)].map((s: any) => {
          const r = s.getBoundingClientRect();
          return { left: r.left, right: r.right, top: r.top, width: r.width, height: r.height };
        }),
      severity,
    );
    const { box, lineTop } = text;
    const under = squiggles.find(
      (s) =>
        Math.abs(s.top - lineTop) < 2 && Math.abs(s.left - box.x) < 3 && Math.abs(s.right - (box.x + box.width)) < 3,
    );
    if (under) return { x: under.left, y: under.top, width: under.width, height: under.height };
    if (Date.now() > deadline) {
      throw new Error(
        `no ${severity} squiggle under "${covered}" (squiggles: ` +
          `${JSON.stringify(squiggles.map((s) => [s.left, s.top, s.width]))}; text at ` +
          `${box.x}-${box.x + box.width}, ${lineTop})`,
      );
    }
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
    if (Date.now() > deadline)
      throw new Error(
        `the Problems panel shows ${await rows.count()} problems, expected ${count}: ${await panel.innerText()}`,
      );
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

/** The code lenses VS Code draws above the editor line showing `lineText`: their titles and where to click them. */
export async function lensesAbove(page: Page, lineText: string): Promise<Array<{ title: string; box: Box }>> {
  return page.evaluate((lineText) => {
    const lines: any[] = [...document.querySelectorAll('.monaco-editor .view-line')];
    const target = lines.find((l: any) => l.textContent?.replace(/\u00a0/g, ' ').includes(lineText));
    if (!target) return [];
    const top = target.getBoundingClientRect().top;
    // A lens is a content widget drawn in the view zone just above its line.
    const lenses: any[] = [...document.querySelectorAll('.monaco-editor .codelens-decoration')];
    const above = lenses.filter((l) => {
      const r = l.getBoundingClientRect();
      return r.bottom <= top + 1 && top - r.bottom < r.height + 4;
    });
    return above.flatMap((l) =>
      [...l.querySelectorAll('a')].map((a: any) => {
        const r = a.getBoundingClientRect();
        return {
          title: (a.textContent as string).replace(/\u00a0/g, ' ').trim(),
          box: { x: r.left, y: r.top, width: r.width, height: r.height },
        };
      }),
    );
  }, lineText);
}

/** Puts the cursor in a warning squiggle and presses Ctrl+.: the quick-fix menu, once it is open. */
export async function openQuickFixMenu(page: Page, lineText: string, covered: string): Promise<Locator> {
  const squiggle = await squiggleUnder(page, 'warning', lineText, covered);
  await page.mouse.click(squiggle.x + 4, squiggle.y + squiggle.height / 2 - 6);
  await page.keyboard.press('Control+.');
  const menu = page.locator('.action-widget');
  await menu.waitFor({ timeout: 10_000 });
  return menu;
}

/** The right edge of the text area of the editor showing `lineText` (left of the minimap and scrollbar). */
export async function editorTextRight(page: Page, lineText: string): Promise<number> {
  return page.evaluate((lineText) => {
    const lines: any[] = [...document.querySelectorAll('.monaco-editor .view-line')];
    const target = lines.find((l: any) => l.textContent?.replace(/\u00a0/g, ' ').includes(lineText));
    const editor = target?.closest('.monaco-editor');
    if (!editor) return Number.NaN;
    let right = editor.getBoundingClientRect().right;
    for (const side of editor.querySelectorAll('.minimap, .scrollbar.vertical')) {
      const r = side.getBoundingClientRect();
      if (r.width > 0) right = Math.min(right, r.left);
    }
    return right;
  }, lineText);
}

/**
 * Records in the page when the next click happens and when the status bar and the lenses first show `text`
 * afterwards; `readTiming` answers the delays in milliseconds (undefined: not seen yet).
 */
export async function watchFeedback(page: Page, text: string): Promise<void> {
  // A string: the test runner's transform names inner functions with a helper the page does not have.
  await page.evaluate(`(() => {
    const f = (window.__feedback = { click: undefined, status: undefined, lens: undefined });
    const wanted = ${JSON.stringify(text)};
    document.addEventListener('mousedown', () => { f.click ??= performance.now(); }, { capture: true, once: true });
    new MutationObserver(() => {
      if (f.click === undefined) return;
      const now = performance.now();
      if (f.status === undefined && document.querySelector('.part.statusbar')?.textContent?.includes(wanted))
        f.status = now - f.click;
      const lenses = [...document.querySelectorAll('.monaco-editor .codelens-decoration')];
      if (f.lens === undefined && lenses.some((l) => l.textContent?.includes('Profiling…'))) f.lens = now - f.click;
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  })()`);
}

export async function readFeedback(page: Page): Promise<{ status?: number; lens?: number }> {
  return page.evaluate(() => (globalThis as any).__feedback);
}
