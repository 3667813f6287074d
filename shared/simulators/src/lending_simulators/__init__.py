"""Local stand-ins for the external parties, started by `make run` on ports from 8100.

Each simulator is a module ``lending_simulators.<name>`` runnable as
``python -m lending_simulators.<name> --port N``; register it in ``SIMULATORS``.
"""

SIMULATORS: dict[str, int] = {
    "credit_bureau": 8100,
    "payout_provider": 8101,
    "sms_gateway": 8102,
    "webhook_receiver": 8104,
}
"""Simulator module name -> its default local port."""
