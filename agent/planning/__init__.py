"""Request text to CampaignPlan: parsing, markers, scope phrases, revision."""
