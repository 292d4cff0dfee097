"""Reads of 考核: each takes the acting user and reads through ``visible_to``."""
