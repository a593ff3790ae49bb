// What a person does and sees in the workbench, as playwright locators: open the Berth
// container, find a view and narrow its tree to a test's own rows, run a command from the
// command palette, read a row's icon and description.
import type { Locator, Page } from 'playwright-core';

/** Generous: the machine is small and shared, and the workbench needs 6–13 s to come up. */
export const UI_TIMEOUT_MS = 90_000;

/** Berth's views by their titles (package.nls.json). */
export type BerthView = 'Workloads' | 'Plugins' | 'Snapshots';

/** Clicks Berth's activity-bar entry and waits for the Workloads section. */
export async function openBerthContainer(page: Page): Promise<Locator> {
  await page.locator('.activitybar .action-label[aria-label="Berth"]').click({ timeout: UI_TIMEOUT_MS });
  const pane = workloadsPane(page);
  await pane.locator('.pane-header').waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  return pane;
}

/** A view's section in the side bar: its header, description, welcome content and tree. */
export function viewPane(page: Page, view: BerthView): Locator {
  return page.locator('.part.sidebar .pane').filter({ has: page.locator(`.pane-header[aria-label^="${view} "]`) });
}

export function workloadsPane(page: Page): Locator {
  return viewPane(page, 'Workloads');
}

/**
 * Other people's objects may share the engine and a tree is virtualized (rows outside the
 * viewport are not in the DOM), so tests filter a view's tree to their own unique prefix with
 * the tree's find widget, switched to filter mode. Rows with children that were never loaded
 * stay visible, and a filtered node may show collapsed: see expandRow.
 */
export async function filterView(page: Page, view: BerthView, text: string): Promise<void> {
  const pane = viewPane(page, view);
  const input = pane.locator('.monaco-findInput input').first();
  await waitUntil(
    `the ${view} tree's find widget`,
    async () => {
      if (await input.isVisible()) return true;
      // Clicking a row focuses the tree (selecting a row has no side effects in Berth), and
      // the tree's find widget opens on Ctrl+Alt+F while it has focus.
      await pane.locator('.monaco-list-row').first().click({ timeout: 5000 });
      await page.keyboard.press('Control+Alt+F');
      return input.isVisible();
    },
    (open) => open,
  );
  // Hide the rows that do not match (the default only highlights), and match exactly.
  await setToggle(pane.locator('.monaco-custom-toggle[aria-label="Filter"]'), true);
  await setToggle(pane.locator('.monaco-custom-toggle[aria-label="Fuzzy Match"]'), false);
  await input.fill(text);
}

export function filterWorkloads(page: Page, text: string): Promise<void> {
  return filterView(page, 'Workloads', text);
}

async function setToggle(toggle: Locator, checked: boolean): Promise<void> {
  const want = String(checked);
  if ((await toggle.getAttribute('aria-checked', { timeout: UI_TIMEOUT_MS })) !== want) await toggle.click();
  await waitUntil(`${await toggle.getAttribute('aria-label')} to be ${want}`, () => toggle.getAttribute('aria-checked'), (v) => v === want);
}

/**
 * Runs a command from the command palette (F1) by its full title, e.g. "Berth: Show Log",
 * as a person would. `asks: true` for a command whose first question reuses the palette's box
 * (so the box does not close).
 */
export async function runCommand(page: Page, title: string, options: { asks?: boolean } = {}): Promise<void> {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  // The palette can close again between opening and typing (a tree's find widget or a
  // notification takes focus on a loaded machine), so open and type as one retried step.
  await waitUntil(
    'the command palette to take the command',
    async () => {
      if (!(await input.isVisible())) await page.keyboard.press('F1');
      try {
        await input.fill(`>${title}`, { timeout: 3000 });
        return (await input.inputValue()) === `>${title}`;
      } catch {
        return false;
      }
    },
    (typed) => typed,
  );
  const item = page.locator('.quick-input-widget .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: title }) }).first();
  await item.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  await item.click();
  if (!options.asks) await input.waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });
}

/** A row of any Berth view whose accessibility label starts with `labelStart`. */
export function treeRow(page: Page, view: BerthView, labelStart: string): Locator {
  return viewPane(page, view).locator(`.monaco-list-row[aria-label^="${cssString(labelStart)}"]`);
}

/** A container's row: its accessibility label is "<name>, <state>, image <image>". */
export function workloadRow(page: Page, name: string): Locator {
  return treeRow(page, 'Workloads', `${name}, `);
}

export function projectRow(page: Page, project: string): Locator {
  return workloadsPane(page).locator(`.monaco-list-row[aria-label="${cssString(`Compose project ${project}`)}"]`);
}

/**
 * Expands a tree row if it is collapsed (the find widget's filter, or a refresh while it is
 * open, can leave a node collapsed that the extension declared expanded).
 */
export async function expandRow(row: Locator): Promise<void> {
  await waitUntil(
    'the row to be expanded',
    async () => {
      const expanded = await row.getAttribute('aria-expanded', { timeout: 5000 });
      if (expanded === 'false') await row.locator('.monaco-tl-twistie').click({ timeout: 5000 });
      return row.getAttribute('aria-expanded', { timeout: 5000 });
    },
    (expanded) => expanded === 'true',
  );
}

/** The codicon-* class of a row's icon, e.g. `codicon-vm-running`. */
export async function rowIcon(row: Locator): Promise<string | undefined> {
  const classes = (await row.locator('.custom-view-tree-node-item-icon').first().getAttribute('class', { timeout: 5000 })) ?? '';
  return classes.split(/\s+/).find((c) => c.startsWith('codicon-') && c !== 'codicon');
}

export async function rowDescription(row: Locator): Promise<string> {
  return (await row.locator('.label-description').first().textContent({ timeout: 5000 })) ?? '';
}

/** Every row of a view's tree that is in the DOM, in screen order, as (label, level). */
export async function visibleRows(page: Page, view: BerthView = 'Workloads'): Promise<{ label: string; level: number }[]> {
  const rows = await viewPane(page, view)
    .locator('.monaco-list-row')
    .evaluateAll((elements) =>
      elements.map((r) => ({
        label: r.getAttribute('aria-label') ?? '',
        level: Number(r.getAttribute('aria-level')),
        // Rows are absolutely positioned; DOM order need not be screen order.
        top: Number(/top:\s*(-?[\d.]+)px/.exec(r.getAttribute('style') ?? '')?.[1] ?? 0),
      })),
    );
  return rows.sort((a, b) => a.top - b.top).map(({ label, level }) => ({ label, level }));
}

/**
 * Polls `probe` until `accept` says yes or the deadline passes; the error names what was last
 * seen, so a failure says more than "timeout".
 */
export async function waitUntil<T>(what: string, probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = UI_TIMEOUT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await probe();
      lastError = undefined;
      if (accept(last)) return last;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const seen = lastError ? `error: ${(lastError as Error).message}` : `last seen: ${JSON.stringify(last)}`;
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what} (${seen})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function cssString(text: string): string {
  return text.replace(/["\\]/g, '\\$&');
}

/**
 * Scrolls a view's tree until `row` is rendered. The tree is virtualized, and other people's
 * compose projects whose children were never loaded stay visible through the find widget's
 * filter, so a row of ours can sit below the viewport.
 */
export async function scrollToRow(page: Page, view: BerthView, row: Locator): Promise<void> {
  const list = viewPane(page, view).locator('.monaco-list').first();
  for (const delta of [...Array<number>(30).fill(120), ...Array<number>(60).fill(-120)]) {
    if ((await row.count()) > 0) return;
    await list.hover({ timeout: 5000 });
    await page.mouse.wheel(0, delta);
    await page.waitForTimeout(50);
  }
  throw new Error(`Scrolled the ${view} tree end to end without finding the row.`);
}

/**
 * Runs `item` from `row`'s context menu until `done` holds. VS Code's menus act on their own
 * mouse-up handling, so the item is hovered and Enter pressed. When a view refreshes between
 * the right-click and Enter, VS Code's extension host can no longer resolve the row and runs the
 * command without it; the command then asks for its object (`picker`): that attempt is dismissed
 * and the menu used again, so what is tested stays the context menu.
 */
export async function runFromContextMenu(page: Page, row: Locator, item: string, picker: string, done: () => Promise<boolean>): Promise<void> {
  const entry = page.locator('.context-view .action-menu-item', { hasText: item });
  const ask = page.locator(`.quick-input-widget input[placeholder="${cssString(picker)}"]`);
  await waitUntil(
    `"${item}" from the context menu to take effect`,
    async () => {
      if (await done()) return true;
      if (await ask.isVisible()) await page.keyboard.press('Escape');
      if (!(await entry.isVisible())) await row.click({ button: 'right', timeout: 5000 });
      await entry.hover({ timeout: 5000 });
      await page.keyboard.press('Enter');
      await waitUntil(`"${item}" to take effect`, done, (ok) => ok, 20_000).catch(() => false);
      return done();
    },
    (ok) => ok,
  );
}
