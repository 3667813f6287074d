"""Local stand-ins for the external parties, started by `make run` on ports from 8100.

Each simulator is a module ``lending_simulators.<name>`` runnable as
``python -m lending_simulators.<name> --port N``; register it in ``SIMULATORS``.
"""

SIMULATORS: dict[str, int] = {}
"""Simulator module name -> its default local port."""
