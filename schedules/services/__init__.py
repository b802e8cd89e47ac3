"""Writes for taper plans and their printable schedules: the only places that enqueue tasks."""
