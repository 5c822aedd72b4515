"""People, their role grants and their registrations (双报到)."""
