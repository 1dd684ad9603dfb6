// `npm run build` (or `make console`): bundle src/ into the Python package's static directory.
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";

// TIDEMILL_CONSOLE_OUT builds elsewhere (the tests compare such a build with the committed one).
const out = process.env.TIDEMILL_CONSOLE_OUT
  ? `${process.env.TIDEMILL_CONSOLE_OUT.replace(/\/$/, "")}/`
  : new URL("../src/tidemill/console/static/", import.meta.url).pathname;
mkdirSync(out, { recursive: true });
await build({
  entryPoints: ["src/main.js"],
  bundle: true,
  minify: true,
  format: "esm",
  target: ["es2020"],
  legalComments: "eof",
  outfile: `${out}app.js`,
  logLevel: process.env.TIDEMILL_CONSOLE_OUT ? "warning" : "info",
});
copyFileSync("index.html", `${out}index.html`);
copyFileSync("style.css", `${out}style.css`);
