"""The board's own figures: cases per meeting, time per case, concordance, attendance."""
