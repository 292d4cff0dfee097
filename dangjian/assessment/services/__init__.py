"""Writes of 考核, one module per subdomain (rating, projects, weak organizations and their
rectification, warnings)."""
