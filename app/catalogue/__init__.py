"""The catalogue of documented treatment options."""
