"""Household visits (驻点直联): teams, records and coverage; their API, console pages and URLs."""
