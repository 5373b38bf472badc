"""The log cosigner: an independent C2SP tlog-witness that an institution runs itself.

A regulator, court, notary office or key custodian runs ``chainwitness cosigner``
on its own machine, with its own Ed25519 key, its own state and its own clock.
It cosigns a log checkpoint only if it is signed by the pinned log key and is
consistent with the last checkpoint it cosigned, and it keeps every refused,
validly signed checkpoint as evidence. Specification: ``docs/log-witness.md``.

Not to be confused with ``ledger_service.witness`` (witness *reports*).
"""
