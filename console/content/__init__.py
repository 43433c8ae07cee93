"""Content library and distribution to distribution points."""
