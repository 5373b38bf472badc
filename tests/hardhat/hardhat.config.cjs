// Hardhat Network as the second EVM node of the integration tier (tests/integration/evm_nodes.py).
// Hardhat 2 is pinned in package.json; it only serves JSON-RPC here: nothing is compiled
// (forge and solc-js build the shipped artifacts), so `paths.sources` is an empty folder.
// The hardfork is the shipped default EVM target (ledger_service/chain/evm_target.py),
// cancun, unless HARDHAT_HARDFORK names another: "merge" is what Hardhat calls paris,
// the conservative target (tests/integration/evm_nodes.py maps one to the other).
module.exports = {
  paths: { sources: "./contracts", cache: "./cache", artifacts: "./artifacts" },
  networks: {
    hardhat: {
      chainId: 31337,
      hardfork: process.env.HARDHAT_HARDFORK || "cancun",
      // one block per transaction, as anvil does by default
      mining: { auto: true, interval: 0 },
      loggingEnabled: false,
    },
  },
};
