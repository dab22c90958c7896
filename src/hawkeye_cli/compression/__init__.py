"""`hawkeye compress-cot`: shorten chains of thought (filter, surprisal, rewrite), verify, export for SFT."""
