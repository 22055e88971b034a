"""Storage port and adapters."""
