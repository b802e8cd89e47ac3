"""Staff pages for taper plans."""
