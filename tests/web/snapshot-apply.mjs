// How long the dashboard's main thread works on one `vms` snapshot of a big cluster, in Debian's
// chromium (docs/PERFORMANCE.md, "Dashboard: applying a vms snapshot"). Prints figures, asserts
// no timing: `make bench-web` runs it on demand, ctest once (web_snapshot_apply_5000).
//
//   JARVISD=build/service/jarvisd node tests/web/snapshot-apply.mjs [--guests 5000] [--samples 9]
//
// jarvisd --demo runs with JARVIS_DEMO_GUESTS guests; the page logs in and shows the dashboard at
// 1280x800. A socket.io client on /cluster sends `refresh` (with ack) once per sample, so jarvisd
// polls and sends fresh `nodes`, `vms` and `storage` snapshots to every client, the page
// included. Each sample is a Chromium trace (toplevel, devtools.timeline, blink.user_timing) of that
// refresh, read on the page's main thread (CrRendererMain):
//   apply   the app's own performance.measure "vms-apply" (service/web/src/live.ts): building the
//           guest index and Solid's synchronous DOM update (CPU time from the thread time stamps
//           of its two marks). Part of the next figure.
//   task    the main-thread task in which the vms message arrived and was applied: receiving the
//           WebSocket message, socket.io's JSON parsing, the app, garbage collection in it.
//   frame   the next main-thread task that paints (style, layout, paint of the update).
//   total   task + frame: the main thread's time for one snapshot, from its arrival to the frame
//           that shows it. Given as wall time (what a user waits, including time the OS gave
//           the CPU to other processes: jarvisd itself is busy polling at that moment on a
//           shared machine) and as the thread's CPU time (the work itself).
// A sample where the app applied more than one vms snapshot (a periodic tick) is discarded.

import { parseArgs } from 'node:util';
import { client, closeClients, connected, login, startServer, waitFor, ADMIN_PASSWORD } from '../interop/harness.mjs';
import { launchChromium, liveIndicator, logIn, newPage, guestsTable } from './browser.mjs';

const { values: opts } = parseArgs({
    options: {
        guests: { type: 'string', default: '5000' },
        samples: { type: 'string', default: '9' },
    },
});
const GUESTS = Number(opts.guests);
const SAMPLES = Number(opts.samples);

const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const ms = (x) => x.toFixed(1);

/**
 * One sample from a trace: the main-thread task holding the app's "vms-apply" measure and the
 * next task that paints. Null when the trace holds no apply or more than one.
 */
function readTrace(events) {
    const starts = events.filter((e) => e.name === 'vms-apply-start');
    if (starts.length !== 1)
        return null;
    const { pid, tid, ts } = starts[0];
    const measure = events.find((e) => e.name === 'vms-apply' && e.ph === 'e' && e.pid === pid);
    const applied = events.find((e) => e.name === 'vms-applied' && e.pid === pid);
    // Top-level tasks of the renderer's main thread, in order.
    const tasks = events
        .filter((e) => e.pid === pid && e.tid === tid && e.ph === 'X' && e.name === 'RunTask')
        .sort((a, b) => a.ts - b.ts);
    const task = tasks.find((t) => t.ts <= ts && ts <= t.ts + t.dur);
    if (!task)
        return null;
    const paints = events.filter((e) => e.pid === pid && e.tid === tid && (e.name === 'Paint' || e.name === 'Commit') && e.ts > task.ts + task.dur);
    const frame = tasks.find((t) => t.ts > task.ts && paints.some((p) => p.ts >= t.ts && p.ts <= t.ts + t.dur));
    if (!frame)
        return null;
    const us = (x) => (x ?? 0) / 1000;
    const cpu = (t) => us(t.tdur ?? t.dur);
    return {
        apply: us((measure?.ts ?? applied?.ts ?? ts) - ts),
        // Thread time stamps (tts) of the two marks: the apply's CPU time.
        applyCpu: applied?.tts !== undefined && starts[0].tts !== undefined ? us(applied.tts - starts[0].tts) : NaN,
        taskWall: us(task.dur),
        taskCpu: cpu(task),
        frameWall: us(frame.dur),
        frameCpu: cpu(frame),
        totalWall: us(task.dur) + us(frame.dur),
        totalCpu: cpu(task) + cpu(frame),
    };
}

async function main() {
    const server = await startServer({ kind: 'jarvisd', env: { JARVIS_DEMO_GUESTS: String(GUESTS) }, timeoutMs: 60_000 });
    const browser = await launchChromium();
    try {
        const token = await login(server.url);
        const socket = client(server.url, '/cluster', { auth: { token }, timeout: 30_000 });
        const firstVms = waitFor(socket, 'vms', { timeoutMs: 30_000 });
        await connected(socket, 30_000);
        const [guestList] = await firstVms;
        if (guestList.length !== GUESTS)
            throw new Error(`jarvisd --demo sent ${guestList.length} guests, asked for ${GUESTS}`);
        const payloadBytes = Buffer.byteLength(JSON.stringify(guestList));

        const { page, problems } = await newPage(browser);
        page.setDefaultTimeout(60_000);
        await page.goto(server.url + '/');
        await logIn(page, ADMIN_PASSWORD);
        await liveIndicator(page).waitFor();
        await guestsTable(page).getByRole('row').nth(1).waitFor();

        const frames = () => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));
        const applied = () => page.evaluate(() => performance.getEntriesByName('vms-apply').length);

        const samples = [];
        let discarded = 0;
        // One warm-up refresh (JIT, first layout at this size), then the samples.
        for (let i = 0; samples.length < SAMPLES && i < SAMPLES * 3; i++) {
            await frames();
            const before = await applied();
            await browser.startTracing(page, { categories: ['toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink.user_timing'] });
            const ack = await socket.timeout(30_000).emitWithAck('refresh');
            if (!ack?.ok)
                throw new Error(`refresh: ${JSON.stringify(ack)}`);
            await page.waitForFunction((n) => performance.getEntriesByName('vms-apply').length > n, before);
            await frames();
            await frames();
            const trace = JSON.parse((await browser.stopTracing()).toString('utf8'));
            if (i === 0)
                continue;
            const sample = readTrace(trace.traceEvents ?? trace);
            if (!sample) {
                discarded++;
                continue;
            }
            samples.push(sample);
        }
        if (samples.length < SAMPLES)
            throw new Error(`only ${samples.length} clean samples of ${SAMPLES} (${discarded} discarded)`);
        if (problems.length)
            throw new Error(`console errors or uncaught exceptions: ${JSON.stringify(problems)}`);

        const pick = (k) => median(samples.map((s) => s[k]));
        const range = (k) => `[${ms(Math.min(...samples.map((s) => s[k])))}..${ms(Math.max(...samples.map((s) => s[k])))}]`;
        console.log(`dashboard: one vms snapshot of ${GUESTS} guests (${(payloadBytes / 1e6).toFixed(2)} MB JSON) in chromium, ` +
            `main thread, median of ${samples.length} (${discarded} discarded), wall / CPU ms:`);
        console.log(`  apply  (app's "vms-apply" measure)            ${ms(pick('apply'))} / ${ms(pick('applyCpu'))}   wall ${range('apply')}`);
        console.log(`  task   (receive + parse + apply)              ${ms(pick('taskWall'))} / ${ms(pick('taskCpu'))}`);
        console.log(`  frame  (style + layout + paint)               ${ms(pick('frameWall'))} / ${ms(pick('frameCpu'))}`);
        console.log(`  total  (arrival to painted)                   ${ms(pick('totalWall'))} / ${ms(pick('totalCpu'))}   wall ${range('totalWall')}`);
        console.log('  target: at most 16 ms per snapshot at 5000 guests (issue 10); not asserted here');
        socket.disconnect();
    } finally {
        closeClients();
        await browser.close();
        await server.stop();
    }
}

main().catch((err) => {
    console.error(`snapshot-apply: ${err.stack || err}`);
    process.exit(1);
});
