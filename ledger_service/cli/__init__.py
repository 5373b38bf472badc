"""The ``chainwitness`` command line: :func:`ledger_service.cli.app.main`."""
