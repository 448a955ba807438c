"""The dashboard: the simulated shop in a browser, served by `tiktok-sim serve` at `/` (views.py)."""
