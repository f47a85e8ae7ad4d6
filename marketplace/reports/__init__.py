"""Diagnostics reports: raw files uploaded for a device, graded on the server."""
