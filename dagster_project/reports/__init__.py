"""The quarterly report readers get: HTML and PDF, every figure read from the marts."""
