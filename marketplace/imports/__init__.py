"""Bulk import of devices from inventory CSV files (native, GLPI, Snipe-IT). See README.md here."""
