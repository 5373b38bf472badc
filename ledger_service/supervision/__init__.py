"""Smart supervision (智慧监管): explainable bid-rigging and tamper alerts. Pure.

Entry points: ``rules.run_rules`` (every rule over a corpus), ``scoring.score`` (hits ->
alert), ``tamper.compare`` (live records against their recorded versions),
``corpus.generate`` (synthetic corpora). See ``docs/supervision.md``.
"""
