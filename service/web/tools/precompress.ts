// Build step of our own (no extra dependency): after Vite wrote the bundle,
//  1. every text asset over 1 KiB gets precompressed siblings X.gz and X.br (jarvisd serves them
//     by Accept-Encoding);
//  2. the first-load budget is printed: the gzip'd size of the JS and CSS that index.html loads
//     (lazy chunks such as xterm are excluded), and the build fails when it is over the budget.
import type { Plugin, ResolvedConfig } from "vite";
import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const TEXT = /\.(js|mjs|css|html|svg|json|txt|map|webmanifest)$/;
const MIN_SIZE = 1024;

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

const gz = (b: Buffer) => gzipSync(b, { level: 9 });
const br = (b: Buffer) =>
  brotliCompressSync(b, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_SIZE_HINT]: b.length,
    },
  });
const kb = (n: number) => (n / 1024).toFixed(1).padStart(7) + " KiB";

export function precompress(options: { budgetBytes: number }): Plugin {
  let config: ResolvedConfig;
  return {
    name: "jarvis-precompress-and-budget",
    apply: "build",
    enforce: "post",
    configResolved(c) {
      config = c;
    },
    closeBundle() {
      const outDir = resolve(config.root, config.build.outDir);
      const files = walk(outDir).filter((f) => !/\.(gz|br)$/.test(f));
      const gzSize = new Map<string, number>();
      const rows: string[] = [];
      for (const f of files) {
        if (!TEXT.test(f)) continue;
        const raw = readFileSync(f);
        const g = gz(raw);
        gzSize.set(relative(outDir, f).split("\\").join("/"), g.length);
        if (raw.length > MIN_SIZE) {
          writeFileSync(f + ".gz", g);
          writeFileSync(f + ".br", br(raw));
        }
        rows.push(`  ${relative(outDir, f).padEnd(44)} ${kb(raw.length)}  gzip ${kb(g.length)}`);
      }
      // What index.html loads at first: its module scripts, stylesheets and modulepreloads.
      const html = readFileSync(join(outDir, "index.html"), "utf8");
      const first = new Set<string>();
      for (const m of html.matchAll(/<(?:script|link)\b[^>]*?(?:src|href)="([^"]+)"[^>]*>/g)) {
        const tag = m[0];
        const url = m[1].replace(/^\.?\//, "");
        if (/^<script/.test(tag) || /rel="(stylesheet|modulepreload)"/.test(tag)) {
          if (/\.(js|mjs|css)$/.test(url)) first.add(url);
        }
      }
      let total = 0;
      for (const u of first) {
        const s = gzSize.get(u);
        if (s === undefined) throw new Error(`index.html loads ${u}, which the build did not write`);
        total += s;
      }
      const log = config.logger;
      log.info("\nAssets (raw, gzip):\n" + rows.sort().join("\n"));
      log.info(
        `\nFirst load (gzip'd JS+CSS that index.html loads, lazy chunks excluded): ${(total / 1024).toFixed(1)} KiB ` +
          `(${total} bytes) of ${(options.budgetBytes / 1000).toFixed(0)} KB budget\n  ${[...first].join("\n  ")}\n`,
      );
      if (total > options.budgetBytes) {
        throw new Error(
          `first-load budget exceeded: ${total} bytes gzip'd > ${options.budgetBytes} bytes`,
        );
      }
    },
  };
}
