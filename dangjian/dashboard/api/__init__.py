"""The dashboard's API routers (registered in ``dangjian.api``)."""
