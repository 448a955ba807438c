"""Connector commands that meet the conformance contract (docs/conformance.md)."""
