"""Benchmarks: scripts that measure, print their figures and assert nothing."""
