"""Campaigns: the plan, the offer, allocation, the proposal, records and dispatch."""
