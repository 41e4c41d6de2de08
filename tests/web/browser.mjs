// Shared by the dashboard tests and the snapshot measurement: Debian's chromium driven by
// playwright-core, a page that records every console error and uncaught exception, and the
// dashboard's login by its accessible names (docs/PROTOCOL.md, issue 10).
//
// Env: CHROMIUM    the browser (default /usr/bin/chromium, Debian's `chromium` package, which
//                  scripts/install-deps.sh installs); a missing browser fails, never skips.
//      JARVIS_WEB_ARTIFACTS   where screenshots go (ctest sets it inside the build tree).

import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const WAIT_MS = 15_000;

/** Launches headless chromium; throws a clear error when it is not installed. */
export async function launchChromium() {
    if (!fs.existsSync(CHROMIUM)) {
        throw new Error(`chromium not found at ${CHROMIUM}: install Debian's chromium ` +
            '(bash scripts/install-deps.sh) or point CHROMIUM at a Chromium binary');
    }
    // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
    return chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
    });
}

/**
 * A new context and page of `viewport` size that record problems: every `console` message of type
 * error and every uncaught exception (`pageerror`), with the phase they happened in. A test that
 * provokes a network failure on purpose (a 401 from a wrong password, connection refused while
 * jarvisd is down) names it in `tolerate(phase, predicate)`: Chromium itself logs those failed
 * requests as console errors ("Failed to load resource ...", "WebSocket connection ... failed"),
 * and only those messages, only in that phase, are let through.
 */
export async function newPage(browser, { viewport = { width: 1280, height: 800 } } = {}) {
    const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
    context.setDefaultTimeout(WAIT_MS);
    const page = await context.newPage();
    const problems = [];
    const tolerated = [];
    let phase = 'start';
    let tolerate = null;
    page.on('console', (msg) => {
        if (msg.type() !== 'error')
            return;
        const entry = { phase, kind: 'console error', text: msg.text(), url: msg.location()?.url ?? '' };
        (tolerate && tolerate(entry) ? tolerated : problems).push(entry);
    });
    page.on('pageerror', (err) => {
        problems.push({ phase, kind: 'uncaught exception', text: String(err?.stack || err) });
    });
    return {
        context,
        page,
        problems,
        tolerated,
        /** Enters `name`; `predicate(entry)` (or null) says which console errors are expected in it. */
        phase(name, predicate = null) {
            phase = name;
            tolerate = predicate;
        },
        async close() {
            await context.close();
        },
    };
}

/** The network errors Chromium logs for requests that fail, on paths matching `pathPattern`. */
export function networkErrorOn(pathPattern) {
    return (entry) =>
        /^(Failed to load resource|WebSocket connection to .* failed)/.test(entry.text) &&
        (pathPattern.test(entry.url) || pathPattern.test(entry.text));
}

/** Logs in through the form (field `Password`, button `Log in`). */
export async function logIn(page, password) {
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
}

/** The live indicator saying `Live` (header), once data flows. */
export const liveIndicator = (page) => page.getByText('Live', { exact: true });

/** The guests table (role table, name Guests) and one guest's row by its accessible name. */
export const guestsTable = (page) => page.getByRole('table', { name: 'Guests' });
export const guestRow = (page, guest) =>
    guestsTable(page).getByRole('row', { name: new RegExp(`(^|\\W)${escapeRegExp(guest.name)}(\\W|$)`) });

export function escapeRegExp(text) {
    return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Where screenshots go: $JARVIS_WEB_ARTIFACTS, else a folder beside this file's build output. */
export function artifactsDir() {
    const dir = process.env.JARVIS_WEB_ARTIFACTS || path.resolve('web-artifacts');
    fs.mkdirSync(dir, { recursive: true });
    return dir;
}
