"""Small fakes of the services that have no local form (Slack's Web API)."""
