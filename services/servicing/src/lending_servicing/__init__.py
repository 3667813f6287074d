"""The servicing service.

Business calendar and day close, repayments, payoff quotes, statements, due and overdue.
"""
