"""Benchmarks anyone can rerun: `python -m bench.<name> --help`. Results: bench/RESULTS.md."""
