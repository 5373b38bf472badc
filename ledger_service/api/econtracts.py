"""Electronic contract witness (电子合同见证): register, collect parties' signatures, view."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from ledger_service.api import models
from ledger_service.api.deps import ServicesDep, require
from ledger_service.core.errors import NotConfigured
from ledger_service.econtracts.service import ContractService
from ledger_service.store.tokens import TokenInfo

router = APIRouter(prefix="/v1", tags=["contracts"])
Operator = Annotated[TokenInfo, Depends(require("operator"))]
AnyRole = Annotated[TokenInfo, Depends(require())]
_HEX64 = r"^[0-9a-f]{64}$"
_ADDRESS = r"^0x[0-9a-fA-F]{40}$"


def contracts(services: ServicesDep) -> ContractService:
    if services.contracts is None:
        raise NotConfigured("expected a deployed ContractWitness, found none")
    svc: ContractService = services.contracts
    return svc


ContractsDep = Annotated[ContractService, Depends(contracts)]


class PartyIn(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    address: str = Field(pattern=_ADDRESS)


class ContractIn(BaseModel):
    code: str = Field(min_length=1, max_length=64, examples=["HT-2026-0088"])
    document_sha256: str = Field(pattern=_HEX64)
    document_name: str = Field(min_length=1, max_length=256)
    parties: list[PartyIn] = Field(min_length=2, max_length=8)
    amount_fen: int = Field(ge=0, le=2**53 - 1, description="amount in fen (分)")
    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    terms_sha256: str = Field(pattern=_HEX64)
    previous: str | None = Field(default=None, description="code of the contract this amends")


class SignatureIn(BaseModel):
    party: str = Field(pattern=_ADDRESS)
    signature: str = Field(pattern=r"^(0x)?[0-9a-fA-F]{130}$")


@router.post("/contracts", status_code=201, summary="Register a contract (or an amendment)",
             response_model=models.ContractView)  # fmt: skip
def register(body: ContractIn, svc: ContractsDep, _t: Operator) -> dict[str, Any]:
    return svc.register(body.code, body.document_sha256, body.document_name,
                        [(p.name, p.address) for p in body.parties], body.amount_fen, body.date,
                        body.terms_sha256, body.previous)  # fmt: skip


@router.get("/contracts/{code}", summary="A contract, its signatures and amendment chain",
            response_model=models.ContractView)  # fmt: skip
def view(code: str, svc: ContractsDep, _t: AnyRole) -> dict[str, Any]:
    return svc.view(code)


@router.get("/contracts/{code}/typed-data", summary="The EIP-712 message each party signs",
            response_model=models.ContractTypedData)  # fmt: skip
def typed_data(code: str, svc: ContractsDep, _t: AnyRole) -> dict[str, Any]:
    return svc.typed_data(code)


@router.post("/contracts/{code}/signatures", summary="Relay a party's own signature",
             response_model=models.ContractView)  # fmt: skip
def sign(code: str, body: SignatureIn, svc: ContractsDep, _t: AnyRole) -> dict[str, Any]:
    return svc.sign(code, body.party, bytes.fromhex(body.signature.removeprefix("0x")))
