"""What several domains hold, gathered for one person: home, dashboard, the menu, `/api/v1/me`."""
