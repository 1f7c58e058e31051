"""Administration: members and the audit trail."""
