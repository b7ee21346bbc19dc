"""Scoring households for an offer with the serving models."""
