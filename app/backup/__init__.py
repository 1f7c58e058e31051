"""Backups of the board's database, taken while it runs, and restoring one."""
