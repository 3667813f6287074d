"""Plumbing shared by the five services, written once and tested once."""
