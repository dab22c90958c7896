"""Scoring and benchmarking: answer extraction, metrics, datasets and the bench runner."""
