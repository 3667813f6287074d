"""The servicing domain: pure Python, no framework, database or broker imports."""
