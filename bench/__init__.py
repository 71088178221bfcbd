"""crmbridge's benchmark suite: ``python -m bench`` (see ``bench/README.md``).

Every figure is a ratio against a baseline measured in the same process and run (median of
several repetitions), because the machines these run on are shared and noisy.
"""
