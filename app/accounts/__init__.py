"""Accounts: logging in and out, passwords, permissions."""
