"""The underwriting service.

Turns applications into explainable credit decisions and priced offers.
"""
