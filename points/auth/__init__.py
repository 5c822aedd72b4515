"""Login, API tokens and the one authorisation check (role plus scope)."""
