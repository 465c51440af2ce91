"""Privacy by design: consent per purpose, erasure, export, audit (LGPD / GDPR)."""
