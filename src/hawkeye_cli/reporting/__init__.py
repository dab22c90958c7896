"""Everything printed or drawn for people: Rich tables, JSON documents, PNG plots."""
