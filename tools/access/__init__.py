"""Who may call the redemption service: API keys, stored hashed, revocable."""
