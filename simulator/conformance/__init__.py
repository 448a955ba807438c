"""Run the documented scenarios against any connector: a fresh simulator, the connector as a command.

See docs/conformance.md for the contract a connector command meets and what is judged.
"""
