"""Test support: contract suites for the messaging ports (run against real and fake)."""
