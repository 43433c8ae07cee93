"""Real servers the tests start privately (127.0.0.1, a free high port, stopped at teardown)."""
