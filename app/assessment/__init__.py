"""Clinical assessment of a case: scores, the board's choices, radiosensitivity, NOMS, urgency."""
