#!/usr/bin/env node
// Bundle the browser library web/src/ into ledger_service/web/static/chainwitness.js.
//
// esbuild (pinned in package.json) resolves @noble/hashes and @noble/curves from
// node_modules and writes one ES module with no further imports, so the service
// serves it as a static file and needs no Node at run time. The banner names every
// bundled package with its version and licence; chainwitness.manifest.json records
// the same and the bundle's SHA-256. The output is deterministic: the same sources
// and pins give the same bytes.
//
// Beside the bundle it copies the pages (web/pages: HTML, CSS and plain ES modules that
// import ./chainwitness.js) and, for /docs, the pinned swagger-ui-dist's browser files
// into static/swagger/, so every asset a page loads is served by the service itself.
//
//   node scripts/build_web.mjs            write the bundle, its manifest and licences
//   node scripts/build_web.mjs --check    exit 1 if they differ from a fresh build

import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(root, "ledger_service", "web", "static");
const bundlePath = join(outDir, "chainwitness.js");
const manifestPath = join(outDir, "chainwitness.manifest.json");
const licensesPath = join(outDir, "chainwitness.licenses.txt");
const BUNDLED = ["@noble/hashes", "@noble/curves"];
// copied as they are: the pages, and swagger-ui for /docs (no CDN)
const PAGES_DIR = join(root, "web", "pages");
const SWAGGER = "swagger-ui-dist";
const SWAGGER_FILES = ["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "LICENSE", "NOTICE"];
// Web Crypto AES-GCM, BigInt, String.prototype.isWellFormed: browsers of 2023 on
const TARGET = ["chrome111", "firefox119", "safari16.4", "edge111"];

function pkg(name) {
  return JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8"));
}

const packages = BUNDLED.map((name) => ({ name, version: pkg(name).version, license: pkg(name).license }));
const esbuildVersion = pkg("esbuild").version;
const banner = [
  "// Chain Witness browser library (web/src), bundled by scripts/build_web.mjs; do not edit.",
  `// Built with esbuild ${esbuildVersion}. Bundled packages:`,
  ...packages.map((p) => `//   ${p.name} ${p.version} (${p.license} licence; text in chainwitness.licenses.txt)`),
].join("\n");

const result = await build({
  entryPoints: [join(root, "web", "src", "index.js")],
  bundle: true,
  format: "esm",
  platform: "browser",
  target: TARGET,
  minify: false,
  legalComments: "inline",
  charset: "utf8",
  banner: { js: banner },
  absWorkingDir: root,
  write: false,
  logLevel: "warning",
});
const bundle = result.outputFiles[0].contents;
const manifest = `${JSON.stringify({
  format: "chainwitness/web-bundle",
  version: 1,
  file: "chainwitness.js",
  sha256: createHash("sha256").update(bundle).digest("hex"),
  bytes: bundle.length,
  esbuild: esbuildVersion,
  target: TARGET,
  packages,
}, null, 2)}\n`;

// MIT asks that the notice travel with the code: the bundled packages' licence texts
const licenses = packages
  .map((p) => `${p.name} ${p.version}\n\n${readFileSync(join(root, "node_modules", p.name, "LICENSE"), "utf8").trim()}\n`)
  .join("\n----------------------------------------------------------------\n\n");

// [destination, bytes] of every copied file
const copies = [];
for (const name of readdirSync(PAGES_DIR).sort()) {
  if (/\.(html|js|css|png|svg)$/.test(name)) copies.push([join(outDir, name), readFileSync(join(PAGES_DIR, name))]);
}
const swaggerSrc = join(root, "node_modules", SWAGGER);
for (const name of SWAGGER_FILES) {
  if (existsSync(join(swaggerSrc, name))) copies.push([join(outDir, "swagger", name), readFileSync(join(swaggerSrc, name))]);
}
copies.push([join(outDir, "swagger", "VERSION"), Buffer.from(`${SWAGGER} ${pkg(SWAGGER).version} (${pkg(SWAGGER).license})\n`)]);

const sameFile = ([path, bytes]) => existsSync(path) && Buffer.compare(readFileSync(path), Buffer.from(bytes)) === 0;

if (process.argv.includes("--check")) {
  const same = existsSync(bundlePath) && existsSync(manifestPath) &&
    Buffer.compare(readFileSync(bundlePath), Buffer.from(bundle)) === 0 &&
    readFileSync(manifestPath, "utf8") === manifest &&
    existsSync(licensesPath) && readFileSync(licensesPath, "utf8") === licenses &&
    copies.every(sameFile);
  if (!same) {
    console.error(`${bundlePath}: out of date with web/src; run: node scripts/build_web.mjs`);
    process.exit(1);
  }
} else {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(bundlePath, bundle);
  writeFileSync(manifestPath, manifest);
  writeFileSync(licensesPath, licenses);
  for (const [path, bytes] of copies) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
  }
  console.log(`wrote ${bundlePath} (${bundle.length} bytes)`);
}
