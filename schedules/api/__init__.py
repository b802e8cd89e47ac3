"""JSON API (v1) of taper plans."""
