"""The audit trail: who did what to which record, append-only, visible to admins."""
