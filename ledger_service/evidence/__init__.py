"""The log's own use cases: deposit and step records, proofs, anchoring, verification, packages."""
