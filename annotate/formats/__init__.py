"""What goes in and out of the record: exports and imports of each standard, and the ingest
of articles (plain text and HTML)."""
