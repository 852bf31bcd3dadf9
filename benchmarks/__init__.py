"""Benchmarks: every speed or size claim in the docs comes from one of these scripts.

Each script measures all its arms in one run on one machine (timings on shared machines are noisy, so
only ratios within a run are compared), prints a table, and writes it into BENCHMARKS.md between its
markers together with the command, date and machine.
"""
