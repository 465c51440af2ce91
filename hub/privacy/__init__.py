"""Privacy: consent, erasure with suppression, data export and the audit of reads."""
