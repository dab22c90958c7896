"""Answer scoring: Math-Verify (primary) and lm-eval's GSM8K filters; below the pipeline, importing none of hawkeye."""
