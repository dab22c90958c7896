"""One module per subcommand; each is thin and calls into the library modules."""
