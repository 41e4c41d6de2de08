// The dashboard jarvisd embeds, end to end in Debian's chromium (playwright-core), against
// `jarvisd --demo` on a free port, driven only by the accessible names of issue 10:
// wrong password, log in, every node and guest, search, Stop through the dialog (row and event
// log), a protected guest's Stop disabled, the sparklines full at once (seeded from the
// `history` event), a guest's and a node's charts for the hour and 24 h (the `history` request
// with ack), a terminal running a command, jarvisd stopped and started again on the same port
// (Reconnecting…, then Live, the sparklines reseeded without a doubled point), the phone layout,
// and no console error or uncaught exception through it all. Screenshots (desktop 1280x800, the
// guest's charts, phone 390x844) go to $JARVIS_WEB_ARTIFACTS; JARVIS_UPDATE_SCREENSHOT=1 also
// copies the desktop one to docs/dashboard.png and the charts to docs/dashboard-history.png
// (`make screenshots`).
//
// Env: JARVISD (the built jarvisd, set by ctest), CHROMIUM (default /usr/bin/chromium).
// Conditions are awaited (Playwright locator waits), never fixed sleeps.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ADMIN_PASSWORD, ack, client, closeClients, connected, login, startServer, waitFor } from '../interop/harness.mjs';
import {
    WAIT_MS, artifactsDir, escapeRegExp, guestRow, guestsTable, launchChromium, liveIndicator, logIn, networkErrorOn, newPage,
} from './browser.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The demo's nodes and guests as any client sees them: the first snapshots on /cluster, and
 *  the `history` event that follows them (PROTOCOL.md). */
async function clusterSnapshot(url) {
    const token = await login(url);
    const socket = client(url, '/cluster', { auth: { token } });
    const nodes = waitFor(socket, 'nodes', { timeoutMs: WAIT_MS });
    const vms = waitFor(socket, 'vms', { timeoutMs: WAIT_MS });
    const history = waitFor(socket, 'history', { timeoutMs: WAIT_MS });
    await connected(socket, WAIT_MS);
    const [[nodeList], [guestList], [historyEvent]] = await Promise.all([nodes, vms, history]);
    socket.disconnect();
    return { nodes: nodeList, guests: guestList, history: historyEvent };
}

/**
 * Waits until jarvisd's history of every online node spans `seconds`: its rrddata backfill runs in
 * the background after the first polls (PROTOCOL.md, "History"). Asks `history` with ack again
 * at each `nodes` event until then; fails after `timeoutMs`.
 */
async function backfilled(url, seconds = 1800, timeoutMs = 30_000) {
    const token = await login(url);
    const socket = client(url, '/cluster', { auth: { token } });
    try {
        const [[nodes]] = await Promise.all([waitFor(socket, 'nodes', { timeoutMs: WAIT_MS }), connected(socket, WAIT_MS)]);
        const online = nodes.filter((n) => n.status === 'online');
        const deadline = Date.now() + timeoutMs;
        for (;;) {
            let short = null;
            for (const n of online) {
                const [answer] = await ack(socket, 'history', { id: `node/${n.node}`, range: 'hour' });
                const t = answer?.ok ? answer.series.t : [];
                if (!t.length || t[t.length - 1] - t[0] < seconds)
                    short = `${n.node}: ${t.length ? t[t.length - 1] - t[0] : 0} s`;
            }
            if (!short)
                return;
            if (Date.now() > deadline)
                throw new Error(`jarvisd's history is not backfilled after ${timeoutMs} ms (${short})`);
            await waitFor(socket, 'nodes', { timeoutMs: WAIT_MS });
        }
    } finally {
        socket.disconnect();
    }
}

/** Waits until the node card's sparkline (`metric` cpu or mem) holds at least `minPoints`
 *  points; returns its data-points, data-from and data-to (unix seconds). */
async function sparkline(page, node, metric, minPoints = 1) {
    const label = `${metric === 'cpu' ? 'CPU' : 'Memory'} of ${node.node}, last hour`;
    const handle = await page.waitForFunction(([label, min]) => {
        const el = [...document.querySelectorAll('.spark')].find((e) => e.getAttribute('aria-label') === label);
        if (!el || Number(el.dataset.points) < min)
            return null;
        return { points: Number(el.dataset.points), from: Number(el.dataset.from), to: Number(el.dataset.to) };
    }, [label, minPoints], { timeout: WAIT_MS });
    return handle.jsonValue();
}

/** Runs `fn`; a history dialog it leaves open (a failed step) is closed, so the page stays usable
 *  for the tests after it. */
async function closingDialog(page, fn) {
    try {
        await fn();
    } finally {
        if (await page.locator('.dialog.history').count())
            await page.keyboard.press('Escape');
    }
}

/** Waits until the history dialog's chart `title` (CPU, Memory, Network, Disk I/O) has more
 *  than `moreThan` samples; returns how many. */
async function chartSamples(page, title, moreThan = 0) {
    const handle = await page.waitForFunction(([title, more]) => {
        for (const el of document.querySelectorAll('.dialog.history .chart-plot')) {
            const m = (el.getAttribute('aria-label') || '').match(/^(.*?): .*, (\d+) samples$/);
            if (m && m[1].split(' (')[0] === title && Number(m[2]) > more)
                return Number(m[2]);
        }
        return null;
    }, [title, moreThan], { timeout: WAIT_MS });
    return handle.jsonValue();
}

describe('dashboard in chromium against jarvisd --demo', { timeout: 400_000 }, () => {
    let server;
    let browser;
    let desk; // { page, problems, phase, ... } at 1280x800
    let page;
    let snapshot;
    const artifacts = artifactsDir();

    before(async () => {
        server = await startServer({ kind: 'jarvisd' });
        await backfilled(server.url);
        snapshot = await clusterSnapshot(server.url);
        browser = await launchChromium();
        desk = await newPage(browser);
        page = desk.page;
    });

    after(async () => {
        closeClients();
        await browser?.close();
        await server?.stop();
    });

    it('serves the dashboard: the login form', async () => {
        await page.goto(server.url + '/');
        await page.getByLabel('Password', { exact: true }).waitFor();
        await page.getByRole('button', { name: 'Log in', exact: true }).waitFor();
    });

    it('a wrong password shows "Wrong password" (role alert)', async () => {
        // Chromium logs the 401 of the login request as a console error: expected here only.
        desk.phase('wrong password', networkErrorOn(/\/api\/auth\/login/));
        await logIn(page, 'not-the-password-' + crypto.randomUUID());
        await page.getByRole('alert').filter({ hasText: 'Wrong password' }).waitFor();
        desk.phase('after wrong password');
    });

    it('logs in; the header says Live', async () => {
        desk.phase('log in');
        await logIn(page, ADMIN_PASSWORD);
        await liveIndicator(page).waitFor();
        await guestsTable(page).waitFor();
    });

    it('the sparklines are full at once: seeded from the history event, far more than the time since login', async () => {
        const loggedInAt = Date.now();
        assert.ok(snapshot.history && Array.isArray(snapshot.history.series), 'jarvisd sends a history event');
        for (const node of snapshot.nodes.filter((n) => n.status === 'online')) {
            const series = snapshot.history.series.find((s) => s.id === `node/${node.node}`);
            assert.ok(series, `history of ${node.node}`);
            const serverSpan = series.t[series.t.length - 1] - series.t[0];
            assert.ok(serverSpan >= 1800, `the demo backfills at least half an hour (${node.node}: ${serverSpan} s)`);
            for (const metric of ['cpu', 'mem']) {
                const s = await sparkline(page, node, metric, 30);
                const sinceLogin = (Date.now() - loggedInAt) / 1000 + 30;
                assert.ok(s.to - s.from >= 1800, `${metric} of ${node.node} spans ${s.to - s.from} s`);
                assert.ok(s.to - s.from > 10 * sinceLogin, `${metric} of ${node.node}: ${s.to - s.from} s is far more than the ${sinceLogin} s since login`);
                assert.ok(s.to - s.from <= 3600, `${metric} of ${node.node} keeps one hour (${s.to - s.from} s)`);
            }
        }
    });

    it('shows every node and every guest of the demo', async () => {
        assert.ok(snapshot.nodes.length >= 3, `demo nodes: ${snapshot.nodes.length}`);
        assert.ok(snapshot.guests.length >= 2, `demo guests: ${snapshot.guests.length}`);
        for (const node of snapshot.nodes)
            await page.getByRole('article', { name: node.name || node.node, exact: true }).waitFor();
        for (const guest of snapshot.guests)
            await guestRow(page, guest).waitFor();
    });

    it('search narrows the table, clearing it brings every row back', async () => {
        const rows = guestsTable(page).getByRole('row').filter({ hasNot: page.getByRole('columnheader') });
        // A guest whose name no other guest's searchable text contains.
        const target = snapshot.guests.find((g) =>
            snapshot.guests.every((o) => o === g || !`${o.vmid} ${o.name} ${o.node} ${o.status} ${(o.tags || []).join(' ')}`
                .toLowerCase().includes(g.name.toLowerCase())));
        assert.ok(target, 'a guest with a unique name');
        const other = snapshot.guests.find((g) => g !== target);
        const search = page.getByLabel('Search');
        await search.fill(target.name);
        await guestRow(page, other).waitFor({ state: 'detached' });
        await guestRow(page, target).waitFor();
        assert.equal(await rows.count(), 1, 'one row left');
        await search.fill('');
        for (const guest of snapshot.guests)
            await guestRow(page, guest).waitFor();
    });

    it("a protected guest's Stop is disabled", async () => {
        const guarded = snapshot.guests.find((g) => g.protected === true && g.status === 'running');
        assert.ok(guarded, 'the demo has a running protected guest (VMData.protected, PROTOCOL.md section 5)');
        const stop = guestRow(page, guarded).getByRole('button', { name: 'Stop', exact: true });
        await stop.waitFor();
        assert.equal(await stop.isDisabled(), true, `Stop on protected ${guarded.name} is enabled`);
    });

    it('Stop on a running guest: dialog, confirm, the row shows stopped and the event log names it', async () => {
        const protectedNodes = new Set(snapshot.nodes.filter((n) => n.protected).map((n) => n.node));
        const guest = snapshot.guests.find((g) =>
            g.status === 'running' && !g.protected && !g.template && !protectedNodes.has(g.node));
        assert.ok(guest, 'a running unprotected guest');
        const row = guestRow(page, guest);
        await row.getByRole('button', { name: 'Stop', exact: true }).click();
        const dialog = page.getByRole('alertdialog').or(page.getByRole('dialog'));
        await dialog.filter({ hasText: guest.name }).waitFor();
        await dialog.getByRole('button', { name: 'Stop', exact: true }).click();
        await dialog.waitFor({ state: 'detached' });
        await row.getByText('stopped', { exact: true }).waitFor();
        // An entry of the event log about this action names the guest.
        await page.getByRole('log').getByRole('listitem')
            .filter({ hasText: new RegExp(`(^|\\W)${escapeRegExp(guest.name)}(\\W|$)`) })
            .filter({ hasText: /stop/i })
            .first().waitFor();
    });

    it("a guest's charts: click its name, CPU, memory, network and disk for the hour, then 24 h", async () => {
        // A protected guest: the Stop test before leaves it running.
        const guest = snapshot.guests.find((g) => g.status === 'running' && g.protected)
            ?? snapshot.guests.find((g) => g.status === 'running');
        assert.ok(guest, 'a running guest');
        const row = guestRow(page, guest);
        // From the top of the page, as the README's picture shows it.
        await page.evaluate(() => window.scrollTo(0, 0));
        await closingDialog(page, async () => {
            await row.getByRole('button', { name: `${guest.name}: charts`, exact: true }).click();
            const dialog = page.getByRole('dialog', { name: new RegExp(`^${escapeRegExp(guest.name)} \\(${guest.vmid}\\)`) });
            await dialog.waitFor();
            const pressed = async (name) => dialog.getByRole('button', { name, exact: true }).getAttribute('aria-pressed');
            assert.equal(await pressed('Last hour'), 'true');
            const hour = await chartSamples(page, 'CPU', 29);
            for (const title of ['Memory', 'Network', 'Disk I/O'])
                await chartSamples(page, title);
            await page.mouse.move(0, 0);
            await page.screenshot({ path: path.join(artifacts, 'dashboard-guest-history.png') });

            // 24 h: more samples than the hour, in every chart.
            await dialog.getByRole('button', { name: 'Last 24 hours', exact: true }).click();
            assert.equal(await pressed('Last 24 hours'), 'true');
            const day = await chartSamples(page, 'CPU', hour);
            for (const title of ['Memory', 'Network', 'Disk I/O'])
                await chartSamples(page, title, hour);
            assert.ok(day > hour, `24 h (${day} samples) holds more than the hour (${hour})`);
            await page.screenshot({ path: path.join(artifacts, 'dashboard-guest-history-day.png') });

            // Escape closes it and gives the focus back to the name.
            await page.keyboard.press('Escape');
            await dialog.waitFor({ state: 'detached' });
            await page.waitForFunction((label) => document.activeElement?.getAttribute('aria-label') === label,
                `${guest.name}: charts`, { timeout: WAIT_MS });
        });
    });

    it("a node's charts", async () => {
        const node = snapshot.nodes.find((n) => n.status === 'online');
        await closingDialog(page, async () => {
            await page.getByRole('article', { name: node.name || node.node, exact: true })
                .getByRole('button', { name: `Charts of ${node.node}`, exact: true }).click();
            const dialog = page.getByRole('dialog', { name: new RegExp(`^${escapeRegExp(node.name || node.node)}\\b`) });
            await dialog.waitFor();
            await chartSamples(page, 'CPU', 29);
            await page.keyboard.press('Escape');
            await dialog.waitFor({ state: 'detached' });
        });
    });

    it('desktop screenshot (1280x800)', async () => {
        await liveIndicator(page).waitFor();
        await page.getByRole('log').getByRole('listitem').first().waitFor();
        // Every online node card shows its hottest temperature once the demo's first SSH read of
        // the sensors is in (the first poll starts with jarvisd; 30 s between polls).
        for (const node of snapshot.nodes.filter((n) => n.status === 'online')) {
            await page.getByRole('article', { name: node.name || node.node, exact: true })
                .getByText(/\d+ °C/).waitFor({ timeout: 60_000 });
        }
        // From the top, as a user first sees it, without a hover highlight or a focus ring.
        await page.mouse.move(0, 0);
        await page.evaluate(() => document.activeElement instanceof HTMLElement && document.activeElement.blur());
        await page.evaluate(() => window.scrollTo(0, 0));
        await page.screenshot({ path: path.join(artifacts, 'dashboard-desktop.png') });
    });

    it('Terminal: pick a node, the shell runs a command and its output appears', async () => {
        const protectedNodes = new Set(snapshot.nodes.filter((n) => n.protected).map((n) => n.node));
        const node = snapshot.nodes.find((n) => n.status === 'online' && !protectedNodes.has(n.node));
        assert.ok(node, 'an online unprotected node');
        await page.getByRole('link', { name: 'Terminal', exact: true }).click();
        await page.getByLabel('Node', { exact: true }).selectOption(node.node);
        const open = page.getByRole('button', { name: 'Open', exact: true });
        if (await open.isEnabled())
            await open.click();
        const rows = page.locator('.xterm-rows');
        await rows.first().waitFor();
        // The shell's arithmetic, so the answer cannot be the echo of what was typed.
        const a = crypto.randomInt(1000, 9999);
        const b = crypto.randomInt(1000, 9999);
        await page.locator('.xterm-helper-textarea').first().focus();
        await page.keyboard.type(`echo jarvis-$((${a}+${b}))`);
        await page.keyboard.press('Enter');
        // The demo's shells start from an empty HOME, so no start-up file of the user's delays them.
        await rows.filter({ hasText: `jarvis-${a + b}` }).first().waitFor({ timeout: WAIT_MS });
        await page.getByRole('link', { name: 'Dashboard', exact: true }).click();
        await guestsTable(page).waitFor();
    });

    it('jarvisd stopped: Reconnecting…; started again on the same port: Live', async () => {
        // While jarvisd is down Chromium logs each refused Socket.IO request as a console error.
        desk.phase('jarvisd down', networkErrorOn(/\/socket\.io\//));
        await page.getByRole('link', { name: 'Dashboard', exact: true }).click();
        const port = server.port;
        await server.stop();
        await page.getByRole('status').filter({ hasText: 'Reconnecting…' }).waitFor();
        // Same port, same JWT secret (the harness's), so the page's token stays valid.
        server = await startServer({ kind: 'jarvisd', port });
        await page.getByRole('status').filter({ hasText: 'Reconnecting…' }).waitFor({ state: 'detached' });
        await liveIndicator(page).waitFor();
        desk.phase('after restart');
        for (const guest of snapshot.guests)
            await guestRow(page, guest).waitFor();
    });

    it('after the reconnect the sparklines hold the new history once, no point doubled', async () => {
        const fresh = await clusterSnapshot(server.url);
        for (const node of snapshot.nodes.filter((n) => n.status === 'online')) {
            const series = fresh.history.series.find((s) => s.id === `node/${node.node}`);
            assert.ok(series, `history of ${node.node} after the restart`);
            // The page's series is the history it got when it reconnected (this one's or an
            // earlier, shorter one: the backfill runs after the start), plus the live polls since;
            // a history added to the old points would hold about twice as many.
            const s = await sparkline(page, node, 'cpu');
            assert.ok(s.points <= series.t.length + 3,
                `${node.node}: ${s.points} points on the page, the server's history has ${series.t.length}`);
            assert.ok(s.to - s.from <= 3600, `one hour kept (${s.to - s.from} s)`);
        }
    });

    it('phone 390x844: no sideways scrolling', async () => {
        const phone = await newPage(browser, { viewport: { width: 390, height: 844 } });
        try {
            await phone.page.goto(server.url + '/');
            await logIn(phone.page, ADMIN_PASSWORD);
            await liveIndicator(phone.page).waitFor();
            await guestRow(phone.page, snapshot.guests[0]).waitFor();
            const { scrollWidth, innerWidth } = await phone.page.evaluate(() => ({
                scrollWidth: document.scrollingElement.scrollWidth,
                innerWidth: window.innerWidth,
            }));
            await phone.page.screenshot({ path: path.join(artifacts, 'dashboard-phone.png'), fullPage: true });
            assert.ok(scrollWidth <= innerWidth, `page scrolls sideways: scrollWidth ${scrollWidth} > innerWidth ${innerWidth}`);
            assert.deepEqual(phone.problems, [], 'console errors or uncaught exceptions on the phone page');
        } finally {
            await phone.close();
        }
    });

    it('no console error and no uncaught exception through the whole run', () => {
        assert.deepEqual(desk.problems, []);
        if (desk.tolerated.length)
            console.log(`# expected network errors logged by chromium: ${desk.tolerated.length} (${[...new Set(desk.tolerated.map((e) => e.phase))].join(', ')})`);
        console.log(`# screenshots: ${artifacts}`);
        if (process.env.JARVIS_UPDATE_SCREENSHOT === '1') {
            const target = path.resolve(here, '..', '..', 'docs', 'dashboard.png');
            fs.copyFileSync(path.join(artifacts, 'dashboard-desktop.png'), target);
            console.log(`# copied the desktop screenshot to ${target}`);
            const charts = path.resolve(here, '..', '..', 'docs', 'dashboard-history.png');
            fs.copyFileSync(path.join(artifacts, 'dashboard-guest-history.png'), charts);
            console.log(`# copied the guest's charts to ${charts}`);
        }
    });
});
