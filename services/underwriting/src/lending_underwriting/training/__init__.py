"""Scorecard training (offline): the synthetic portfolio, WOE binning, logistic regression,
points scaling and model-quality metrics. Needs the ``train`` extra (numpy); the service's
run-time scoring (``domain/scorecard.py``) reads the JSON artifact and needs none of this."""
