"""The book machinery: executing the chapters, the claims registry, the verdict lock, provenance."""
