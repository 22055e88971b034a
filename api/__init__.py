"""api package of the LRS."""
