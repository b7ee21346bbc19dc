"""The merchandise catalog: an operator's phrase to real departments and categories."""
