"""`loanctl simulate`: a loan book lived through months of business days on a running stack.

Everything goes through the services' public REST APIs and the business-day close, as
partners, borrowers, collectors, approvers and ops would act; after each close the run waits
until every service has consumed everything, then checks that the services agree
(``checks.py``). The random choices come from the seed alone, so the same seed on the same
code and the same starting business date gives the same book and the same figures.
"""
