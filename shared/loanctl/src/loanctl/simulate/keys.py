"""The keys the simulated actors use: partners (channels), an admin (the day close, reads,
write-off approvals), an underwriter (referrals) and two collectors (maker and checker).

Given on the command line they are used as they are; otherwise they are issued the way an
operator issues them (`loanctl partners|operators create`, or `rotate` for names an earlier
run created), and the run waits until every service has learnt them from intake's events.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any


@dataclass(frozen=True)
class Actor:
    name: str
    principal_id: str
    key: str


@dataclass(frozen=True)
class Keys:
    partners: tuple[Actor, ...]
    admin: Actor
    underwriter: Actor
    collector: Actor
    checker: Actor  # the second collector, who approves what the first proposed


OPERATORS = (("admin", "admin"), ("underwriter", "underwriter"), ("collector", "collector"),
             ("checker", "collector"))


def issue_keys(partners: int, prefix: str = "sim") -> Keys:
    """Creates (or rotates) the simulation's principals through intake's service layer."""
    from lending_intake.service_layer import credentials
    from loanctl.commands._credentials import run_against_intake

    async def issue(issuer: Any) -> Keys:
        async def created_or_rotated(name: str, kind: str,
                                     create: Callable[[], Awaitable[Any]]) -> Actor:
            try:
                made = await create()
            except credentials.PrincipalExistsError:
                made = await credentials.rotate(issuer, name, kind=kind)
            return Actor(name, made.principal_id, made.api_key)

        channels = []
        for n in range(1, partners + 1):
            name = f"{prefix}-partner-{n}"
            channels.append(await created_or_rotated(name, "partner", partial(
                credentials.create_partner, issuer, name, rate_limit=10_000)))
        staff = {}
        for who, role in OPERATORS:
            name = f"{prefix}-{who}"
            staff[who] = await created_or_rotated(name, "operator", partial(
                credentials.create_operator, issuer, name, role=role))
        return Keys(tuple(channels), staff["admin"], staff["underwriter"],
                    staff["collector"], staff["checker"])

    return run_against_intake(issue)
