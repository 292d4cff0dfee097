"""Excel and GeoJSON imports of the governance tree: the area tree (``areas``), households and
units per grid (``households``) and grid boundaries (``boundaries``). Each checks the whole file
first, then writes every good row in one transaction, or none (``common``)."""
