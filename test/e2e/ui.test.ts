// What a user sees, through the real UI: VS Code (code-server) in headless Chromium driven by playwright-core, with
// the repository as the extension under development and a fresh copy of examples/ as the workspace. A failing test
// leaves a screenshot in test-results/.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  e2eSkipReason,
  launchBrowser,
  prepareWorkspace,
  root,
  screenshot,
  startCodeServer,
  workbenchUrl,
  type CodeServer,
} from './harness';
import { openInEditor, problemRows, squiggleUnder } from './workbench';

const skip = e2eSkipReason();

describe('VS Code UI (code-server + Chromium)', { skip, timeout: 120_000 }, () => {
  let server: CodeServer;
  let browser: Browser;
  let page: Page;
  let workspace: string;

  before(async () => {
    server = await startCodeServer();
    workspace = prepareWorkspace(server.scratch);
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(workbenchUrl(server, workspace, { extensionDevelopmentPath: root }));
    await page.locator('.monaco-workbench').waitFor({ timeout: 30_000 });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    if (server) fs.rmSync(server.scratch, { recursive: true, force: true });
  });

  /** Runs a UI test; on failure saves a screenshot under test-results/ and names it in the error. */
  const ui = (name: string, body: () => Promise<void>) =>
    it(name, async () => {
      try {
        await body();
      } catch (error) {
        const shot = await screenshot(page, `ui-${name}`);
        (error as Error).message += `\nscreenshot: ${path.relative(root, shot)}`;
        throw error;
      }
    });

  ui('a squiggle sits under each finding of the open file', async () => {
    await openInEditor(page, 'gpt_mlp.py');
    // RG006 spans `F.dropout(x, self.dropout)` on line 18, RG011 the statement on line 31.
    await squiggleUnder(page, 'warning', 'return F.dropout(x, self.dropout)', 'F.dropout(x, self.dropout)');
    await squiggleUnder(page, 'warning', 'F.dropout(x, self.dropout, training=self.training)', 'F.dropout(x, self.dropout, training=self.training)');
  });

  ui('the Problems panel lists the findings with their codes linked to the rule docs', async () => {
    await openInEditor(page, 'gpt_mlp.py');
    const rows = await problemRows(page, 2);
    assert.deepEqual(
      rows.map((r) => [r.code, r.position]),
      [
        ['RG006', '[Ln 18, Col 16]'],
        ['RG011', '[Ln 31, Col 9]'],
      ],
    );
    for (const row of rows) {
      assert.equal(row.source, 'reglens');
      assert.match(row.href ?? '', new RegExp(`/docs/rules/${row.code}\\.md$`), 'the code links to its docs page');
    }
    assert.match(rows[0].message, /`F\.dropout` drops values in evaluation too/);
  });

  ui('Ctrl+. then Enter applies the preferred quick fix, and saving writes it', async () => {
    await openInEditor(page, 'gpt_mlp.py');
    const squiggle = await squiggleUnder(page, 'warning', 'return F.dropout(x, self.dropout)', 'F.dropout(x, self.dropout)');
    await page.mouse.click(squiggle.x + 4, squiggle.y + squiggle.height / 2 - 6);
    await page.keyboard.press('Control+.');
    const menu = page.locator('.action-widget');
    await menu.waitFor({ timeout: 10_000 });
    const focused = (await menu.locator('.monaco-list-row.focused').innerText()).trim();
    assert.match(focused, /training=self\.training/, `the preferred fix is focused first (menu: ${await menu.innerText()})`);
    await page.keyboard.press('Enter');
    await page.locator('.view-line', { hasText: 'return F.dropout(x, self.dropout, training=self.training)' }).waitFor({ timeout: 10_000 });
    await page.keyboard.press('Control+S');
    const file = path.join(workspace, 'gpt_mlp.py');
    const deadline = Date.now() + 10_000;
    while (!fs.readFileSync(file, 'utf8').includes('return F.dropout(x, self.dropout, training=self.training)')) {
      assert.ok(Date.now() < deadline, 'the fixed line reached the file on disk');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // The fixed finding leaves the Problems panel; the other stays.
    const rows = await problemRows(page, 1);
    assert.deepEqual(rows.map((r) => r.code), ['RG011']);
  });
});
