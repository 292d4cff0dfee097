"""Statistical reports (党内统计 and governance tables): ``tables`` builds them, ``export``
writes an audited .xlsx."""
