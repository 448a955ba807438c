"""TikTok Shop's rules as data (catalog), per-region limits (profiles), the engine that applies them,
and the issue model (issues) every finding is reported in.

The simulator's review and `tiktok-sim check` both use this package, so a real feed gets the same
verdict offline as it would in the simulated shop.
"""
