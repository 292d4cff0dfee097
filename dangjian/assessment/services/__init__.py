"""Writes of 考核, one module per subdomain (``services.rating``, ``services.projects``)."""
