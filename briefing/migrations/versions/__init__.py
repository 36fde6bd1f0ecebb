"""Each module is one schema revision (``revision``/``down_revision``), applied in order."""
