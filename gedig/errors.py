"""One exception type for every input problem the library detects, so callers can catch it."""


class GedigError(ValueError):
    """Raised for bad input or an unavailable resource, with a message naming the problem."""
