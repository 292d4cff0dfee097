"""Roll-ups: the figure registry (``registry``), the built-in figures (``figures``) and the
engine that computes, stores and checks them (``engine``)."""
