"""Helpers shared by `tests/` and `features/`, in one place so that each exists once.

pytest puts `tests/` on `sys.path` (the `pythonpath` option in pyproject.toml), so both suites import
them as `support.<module>`. No tests live here.
"""
