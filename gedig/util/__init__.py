"""Plumbing every layer shares and no result depends on the shape of: atomic files, progress lines,
value formatting, code versions, and the record of what a chapter read."""
