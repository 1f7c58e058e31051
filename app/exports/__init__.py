"""Documents that leave the board: the consensus summary of a case and the meeting's minutes, as
an HTML preview and as PDF (WeasyPrint), from the same templates."""
