"""loans."""
