"""The ledger service's /v1 routes: thin, request model -> command -> handler -> response."""

from fastapi import APIRouter

router = APIRouter(tags=["ledger"])
