"""Digital notarization (数字公证) on top of the Chain Witness evidence service.

Uses ``ledger_service``; ``ledger_service`` never imports this package (its API and
CLI find ``notary.api:router`` and ``notary.cli:app`` through entry points).
"""
