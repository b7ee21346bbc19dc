"""Outcomes after dispatch: redemptions, outcome imports, the market simulator, the readout."""
