"""The HomeC source: its contract (columns, types, quirks) and a generator of realistic HomeC-shaped files."""
