from ledger_service.cli import main

main()
