from ledger_service.cli.app import main

main()
