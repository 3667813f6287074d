"""The ledger service.

Event-sourced loan accounts and the double-entry journal; the source of truth for money.
"""
