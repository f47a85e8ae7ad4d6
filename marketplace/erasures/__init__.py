"""Data erasure records per disk, the erasure certificate and the listable check."""
