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
//   node scripts/build_web.mjs            write the bundle, its manifest and licences
//   node scripts/build_web.mjs --check    exit 1 if they differ from a fresh build

import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(root, "ledger_service", "web", "static");
const bundlePath = join(outDir, "chainwitness.js");
const manifestPath = join(outDir, "chainwitness.manifest.json");
const licensesPath = join(outDir, "chainwitness.licenses.txt");
const BUNDLED = ["@noble/hashes", "@noble/curves"];
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

if (process.argv.includes("--check")) {
  const same = existsSync(bundlePath) && existsSync(manifestPath) &&
    Buffer.compare(readFileSync(bundlePath), Buffer.from(bundle)) === 0 &&
    readFileSync(manifestPath, "utf8") === manifest &&
    existsSync(licensesPath) && readFileSync(licensesPath, "utf8") === licenses;
  if (!same) {
    console.error(`${bundlePath}: out of date with web/src; run: node scripts/build_web.mjs`);
    process.exit(1);
  }
} else {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(bundlePath, bundle);
  writeFileSync(manifestPath, manifest);
  writeFileSync(licensesPath, licenses);
  console.log(`wrote ${bundlePath} (${bundle.length} bytes)`);
}
