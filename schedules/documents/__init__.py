"""The printable schedule: data from a signed revision, the PDF, and its dose chart."""
