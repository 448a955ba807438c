"""TikTok Shop's rules as data (catalog), per-region limits (profiles) and the engine that applies them.

The simulator's review and `tiktok-sim check` both use this package, so a real feed gets the same
verdict offline as it would in the simulated shop.
"""
