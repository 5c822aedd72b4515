"""The inbox: what happened to a person, told to them (and, through a sender, beyond the app)."""
