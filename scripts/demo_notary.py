"""The notarization end of `make demo` (issue 5): a notary reviews the tender's evidence
package, issues a signed certificate, anyone verifies it; revocation flips the verdict."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from eth_account import Account

from ledger_service.chain.client import ChainClient
from ledger_service.evidence.anchoring import Anchorer
from ledger_service.runtime import Services, dev_notary_authority
from notary.api import notary_service_for
from notary.registry import NotaryRegistryContract

CODE = "GC-2026-0417"


def _verify(
    cert: Path, rpc: str, registry: str, root: Path, policy: Path | None
) -> tuple[int, str]:
    pinned = ["--policy", str(policy)] if policy is not None else ["--registry", registry]
    res = subprocess.run(
        [sys.executable, "-m", "ledger_service", "notary", "verify", str(cert), "--rpc", rpc,
         *pinned],
        capture_output=True, text=True, cwd=root, env={"PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    return res.returncode, (res.stdout + res.stderr).strip().splitlines()[-1]


def run(
    services: Services,
    anchorer: Anchorer,
    work: Path,
    say: Callable[[str], None],
    policy: Path | None = None,
) -> int:
    assert services.client is not None and services.chain is not None
    root = Path(__file__).resolve().parent.parent
    dep = (services.settings.data_dir / "deployment.json").read_text()
    registry_address = json.loads(dep)["contracts"]["NotaryRegistry"]
    # the notary authority (司法行政机关) authorizes notaries with its own account; on the
    # embedded development chain its key lives in the data directory (dev only)
    authority = ChainClient(services.chain.rpc_url, dev_notary_authority(services.settings.data_dir),
                            None, retries=2)  # fmt: skip
    admin = NotaryRegistryContract(authority, registry_address)

    say("19. 数字公证 A notary office reviews the evidence package and issues a certificate")
    notary = Account.from_key(hashlib.sha256(b"demo notary office").digest())
    services.client.set_dev_balance(notary.address, 10**20)
    admin.authorize_notary(notary.address, "市公证处 municipal notary office")
    anchorer.wait_anchored(services.log_store.head().size, timeout=60)
    svc = notary_service_for(services, NotaryRegistryContract(services.client, registry_address))
    request_id = svc.request(
        f"tender:{CODE}", "operator:centre", "开标全过程公证 notarize the opening"
    )
    review = svc.review(request_id, notary)
    print(f"   package verified by the independent verifier: {review.passed}")
    issued = svc.issue(request_id, notary, "市公证处 municipal notary office")
    cert = work / "notarization-certificate.jws"
    cert.write_text(issued.jws)
    (work / "notarization-certificate.pdf").write_bytes(issued.pdf)
    print(
        f"   certificate {issued.digest[:16]}... registered on chain (tx {issued.tx_hash[:18]}...)"
    )
    rc, line = _verify(cert, services.client.rpc_url, registry_address, root, policy)
    flag = "--policy trust-policy.json" if policy is not None else "--registry ..."
    print(f"   $ chainwitness notary verify {cert.relative_to(root)} {flag} --rpc ... -> {line}")
    if rc != 0:
        return 1

    say("20. 撤销 The notary revokes the certificate: the verdict flips")
    svc.revoke(issued.digest, notary, 4)
    rc, line = _verify(cert, services.client.rpc_url, registry_address, root, policy)
    print(f"   $ chainwitness notary verify ... -> {line}")
    return 0 if rc != 0 else 1
