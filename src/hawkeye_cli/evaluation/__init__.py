"""Benchmarking: the task table, datasets, metrics, stored results and the bench runner."""
