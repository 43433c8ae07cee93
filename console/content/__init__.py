"""Content library, transports and distribution (adapters of console.core.content)."""
