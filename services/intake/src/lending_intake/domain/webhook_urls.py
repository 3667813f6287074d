"""Which webhook URLs intake may call: partners' public endpoints, never the inside of our
own network (server-side request forgery).

Refused unless the allow-list names them: loopback, private (RFC 1918, unique-local),
link-local (and with it the cloud metadata address 169.254.169.254), carrier-grade NAT,
multicast, reserved and unspecified addresses, and names such as ``localhost`` or
``*.internal``. Plain http is refused too, except for allow-listed hosts (the development
stack's receiver). A hostname is checked again on every delivery against what it resolves
to then, and the connection goes to the address that was checked (adapters.webhook_delivery),
so a name re-pointed at a private address (DNS rebinding) is caught.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

from lending_intake.domain.errors import InvalidWebhookUrlError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
INTERNAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa")
INTERNAL_NAMES = frozenset({"localhost", "metadata", "metadata.google.internal"})


def _address(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def _public(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _public(address.ipv4_mapped)
    return address.is_global and not address.is_multicast


class WebhookUrlPolicy:
    """``allowed``: hosts, addresses or CIDR ranges (comma separated) trusted anyway."""

    def __init__(self, allowed: str = "") -> None:
        self._hosts: set[str] = set()
        self._networks: list[Network] = []
        for item in filter(None, (part.strip().lower() for part in allowed.split(","))):
            try:
                self._networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                self._hosts.add(item)

    def allows_address(self, address: Address) -> bool:
        return _public(address) or any(address in net for net in self._networks)

    def check(self, url: str) -> str:
        """The host to resolve; raises InvalidWebhookUrlError for a URL never to call."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("https", "http") or not host:
            raise InvalidWebhookUrlError("a webhook URL is https://host/path")
        if parts.username is not None or parts.password is not None:
            raise InvalidWebhookUrlError("a webhook URL may not carry credentials")
        listed = host in self._hosts
        literal = _address(host)
        if literal is not None:
            listed = listed or any(literal in net for net in self._networks)
            if not listed and not _public(literal):
                raise InvalidWebhookUrlError(
                    f"{host} is not a public address (loopback, private, link-local or "
                    "metadata); webhooks go to the partner's public endpoint")
        elif not listed and (host in INTERNAL_NAMES or host.endswith(INTERNAL_SUFFIXES)
                             or "." not in host):
            raise InvalidWebhookUrlError(f"{host} is an internal name")
        if parts.scheme == "http" and not listed:
            raise InvalidWebhookUrlError("webhooks are delivered over https only")
        return host

    def check_resolved(self, host: str, addresses: Iterable[str]) -> None:
        """Every address ``host`` resolves to must be allowed (a name that also resolves to
        an internal address is refused whole)."""
        if host in self._hosts:
            return
        found = [a for a in (_address(text) for text in addresses) if a is not None]
        if not found:
            raise InvalidWebhookUrlError(f"{host} does not resolve")
        bad = [str(a) for a in found if not self.allows_address(a)]
        if bad:
            raise InvalidWebhookUrlError(
                f"{host} resolves to {', '.join(bad)}, not a public address")
