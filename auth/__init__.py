"""auth package of the LRS."""
