"""The audit trail of patient-data access and changes."""
