"""The member API: one Router per subdomain, each mounted at /api/v1/members (dangjian.api)."""
