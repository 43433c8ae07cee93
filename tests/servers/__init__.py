"""Real servers for transport tests (private configuration in a temporary folder, 127.0.0.1, a free high port)."""
