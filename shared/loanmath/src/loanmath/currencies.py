"""ISO 4217 minor units: the one table every package reads (the event contract too).

Table A.1 of ISO 4217 (current currencies and funds), as published by its maintenance agency
in 2025. Codes whose minor unit is "N.A." (precious metals, SDR, test and no-currency codes
XAU, XDR, XTS, XXX, ...) and withdrawn codes (HRK, ANG, SLL, ...) are not here: no loan is
made, paid or disclosed in them, so both the wire format and the loan mathematics refuse
them. When ISO amends the list, change it here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

ISO_4217_MINOR_UNITS: Mapping[str, int] = MappingProxyType({
    **dict.fromkeys((
        "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
    ).split(), 0),
    **dict.fromkeys((
        "AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BMD BND BOB BOV BRL BSD BTN BWP BYN "
        "BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD "
        "FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW "
        "KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR "
        "MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG "
        "SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD "
        "USN UYU UZS VED VES WST XAD XCD XCG YER ZAR ZMW ZWG"
    ).split(), 2),
    **dict.fromkeys((
        "BHD IQD JOD KWD LYD OMR TND"
    ).split(), 3),
    **dict.fromkeys((
        "CLF UYW"
    ).split(), 4),
})


def minor_units(code: str) -> int | None:
    """The ISO 4217 minor unit (digits after the decimal point) of ``code``; None when
    ``code`` is not a current currency with a minor unit."""
    return ISO_4217_MINOR_UNITS.get(code)
