"""``python -m ledger_service.cosigner``: the cosigner CLI on its own."""

from ledger_service.cosigner.cli import main

main()
