"""Driver INF parsing and the driver catalog."""
