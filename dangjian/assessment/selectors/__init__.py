"""Reads of 考核: every one takes the acting user and reads through ``visible_to``."""
