"""Domain core of the multi-tenant learning record store (no Flask imports here)."""
