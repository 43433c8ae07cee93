"""WIM files: header and XML metadata reader (lxml); servicing through wimlib."""
