"""Opinions and the agreed plan for an agenda item."""
