"""Retailer data in and out of the database: the bundled dataset, an operator's files, frames."""
