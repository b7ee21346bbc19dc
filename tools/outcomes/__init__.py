"""After dispatch: redemptions of issued codes, the delivery export, outcome imports, readouts."""
