"""The ledger domain: pure Python, no framework, database or broker imports."""
