"""Writes of 考核, one module per subdomain (weak organizations, rectification, warnings)."""
