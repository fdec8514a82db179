"""Import and export of a tenant's records (``haulport import`` / ``haulport export`` and the console)."""
