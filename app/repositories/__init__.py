"""Data access: one module per collection, the only code that writes MongoDB queries."""
