"""Gravy Desktop: an offline-first editor for GravyJS templates that syncs to DynamoDB."""

__version__ = "0.2.0"
