"""Benchmarks of Hamkke against baselines measured in the same run (``python -m bench``)."""
