"""The redemption service: a store's checkout validates and redeems codes over HTTP (FastAPI)."""
