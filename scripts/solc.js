#!/usr/bin/env node
// A `solc` command line for forge and py-solc-x, backed by the npm `solc` package
// (solc-js, WebAssembly): the only Solidity compiler obtainable on our build hosts.
//
// Why a wrapper: `solcjs --standard-json` prints a banner line before the JSON, which
// py-solc-x cannot parse, and it answers `--version` in a format neither forge nor
// py-solc-x recognises. This script speaks the subset of the native CLI they use:
//
//   solc.js --version                      -> "Version: 0.8.37+commit.<hash>.Linux.g++"
//   solc.js --standard-json [flags...]     -> standard JSON on stdin, output JSON on stdout
//
// Flags forge and py-solc-x add (--allow-paths, --base-path, --include-path, ...) are
// accepted; --base-path and --include-path also become roots for resolving imports that
// are not already in the input's `sources`. Other roots, in order: the current
// directory, the repository, contracts/, contracts/src/, node_modules/.
"use strict";

const fs = require("fs");
const path = require("path");

const REPO = path.resolve(__dirname, "..");

function loadSolc() {
  // Resolve from the repository first so the pinned package is used whatever the cwd.
  const resolved = require.resolve("solc", { paths: [REPO, __dirname] });
  return require(resolved);
}

function nativeVersionString(solc) {
  // solc-js reports e.g. "0.8.37+commit.f401782d.Emscripten.clang"; tools expect the
  // native build's platform suffix. The version and commit are the compiler's own.
  const match = /^(\d+\.\d+\.\d+(?:-[\w.]+)?)\+commit\.([0-9a-f]+)/.exec(solc.version());
  if (!match) throw new Error(`unrecognised solc-js version: ${solc.version()}`);
  return `${match[1]}+commit.${match[2]}.Linux.g++`;
}

// Flags that take a value (the next argument) in the native CLI.
const VALUE_FLAGS = new Set([
  "--allow-paths",
  "--base-path",
  "--include-path",
  "--output-dir",
  "-o",
  "--evm-version",
  "--optimize-runs",
  "--libraries",
  "--remappings",
]);

function parseArgs(argv) {
  const opts = { version: false, help: false, standardJson: false, roots: [], inputFile: null };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value = null;
    const eq = arg.indexOf("=");
    if (arg.startsWith("--") && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    } else if (VALUE_FLAGS.has(arg)) {
      value = argv[++i];
    }
    switch (arg) {
      case "--version":
      case "-v":
        opts.version = true;
        break;
      case "--help":
      case "-h":
        opts.help = true;
        break;
      case "--standard-json":
        opts.standardJson = true;
        break;
      case "--base-path":
      case "--include-path":
        if (value) opts.roots.push(path.resolve(value));
        break;
      case "--allow-paths":
        if (value) for (const p of value.split(",")) if (p) opts.roots.push(path.resolve(p));
        break;
      default:
        // The native CLI accepts the input file as a positional argument with --standard-json.
        if (!arg.startsWith("-") && opts.standardJson && opts.inputFile === null) {
          opts.inputFile = arg;
        }
    }
  }
  return opts;
}

function makeImportCallback(extraRoots) {
  const roots = [
    ...extraRoots,
    process.cwd(),
    REPO,
    path.join(REPO, "contracts"),
    path.join(REPO, "contracts", "src"),
    path.join(REPO, "node_modules"),
  ];
  return function findImport(importPath) {
    const candidates = path.isAbsolute(importPath)
      ? [importPath]
      : roots.map((root) => path.join(root, importPath));
    for (const candidate of candidates) {
      try {
        if (fs.statSync(candidate).isFile()) {
          return { contents: fs.readFileSync(candidate, "utf8") };
        }
      } catch (_) {
        // not under this root; try the next
      }
    }
    return { error: `File not found: ${importPath} (searched ${roots.join(", ")})` };
  };
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help) {
    process.stdout.write("Usage: solc.js --version | solc.js --standard-json [flags] < input.json\n");
    return 0;
  }
  const solc = loadSolc();
  if (opts.version) {
    process.stdout.write(
      `solc, the solidity compiler commandline interface (solc-js wrapper)\n` +
        `Version: ${nativeVersionString(solc)}\n`,
    );
    return 0;
  }
  if (!opts.standardJson) {
    process.stderr.write("solc.js: only --version and --standard-json are supported\n");
    return 2;
  }
  const input = fs.readFileSync(opts.inputFile ?? 0, "utf8");
  // Anything solc-js or Emscripten prints must not reach stdout, which carries only JSON.
  const log = console.log;
  console.log = (...args) => console.error(...args);
  let output;
  try {
    output = solc.compile(input, { import: makeImportCallback(opts.roots) });
  } finally {
    console.log = log;
  }
  process.stdout.write(output + "\n");
  // Like native solc, exit 0 even when the output JSON reports compilation errors.
  return 0;
}

process.exitCode = main();
