"""Patients: registration and identifiers."""
