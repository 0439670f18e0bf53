// Builds src/ into ../app/console_static/: one bundled script and one stylesheet, named by
// content hash, and index.html pointing at them. Chart.js is bundled; nothing comes from
// another host at run time (blueprints/console.py sends a same-origin-only CSP).
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "app", "console_static");
const assets = join(out, "assets");

const result = await build({
  entryPoints: [join(here, "src", "main.js")],
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  write: false,
  legalComments: "eof",
});
const js = result.outputFiles[0].contents;
const css = readFileSync(join(here, "src", "style.css"));
const hash = (data) => createHash("sha256").update(data).digest("hex").slice(0, 12);
const jsName = `console-${hash(js)}.js`;
const cssName = `console-${hash(css)}.css`;

rmSync(out, { recursive: true, force: true });
mkdirSync(assets, { recursive: true });
writeFileSync(join(assets, jsName), js);
writeFileSync(join(assets, cssName), css);
const html = readFileSync(join(here, "src", "index.html"), "utf8")
  .replace("{{script}}", `assets/${jsName}`)
  .replace("{{style}}", `assets/${cssName}`);
writeFileSync(join(out, "index.html"), html);
console.log(`console built: ${out} (${jsName}, ${cssName})`);
