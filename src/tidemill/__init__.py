"""Tidemill: a self-hostable batch SQL service speaking the Pandora batch API v2."""

__version__ = "0.1.0"
