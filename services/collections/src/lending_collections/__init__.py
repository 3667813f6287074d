"""The collections service.

Early warning, collection cases and strategies, promises to pay, classification.
"""
