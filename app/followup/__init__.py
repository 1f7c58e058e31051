"""After the meeting: the follow-up actions the board's plans agreed, and their state."""
