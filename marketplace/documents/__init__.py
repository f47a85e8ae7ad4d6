"""Documents people print and keep: erasure certificates (with their public verification page),
asset labels with QR codes, invoices and credit notes, as PDF (ReportLab) in French or English."""
