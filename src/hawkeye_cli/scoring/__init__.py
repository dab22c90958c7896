"""Answer checking, below the pipeline: lm-eval-compatible extraction (and Math-Verify)."""
